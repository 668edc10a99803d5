// Drives headless Chromium through the relay-only page and judges the result.
// Part of relay_only_test.sh (read its header for how to run this by hand).
//
//   node drive_chromium.mjs --chromium PATH --page relay_only_page.html
//        --profile EMPTY_DIR --turn-url turn:127.0.0.1:PORT?transport=udp
//        --username USER --credential PASS --expect connect|refuse
//        [--timeout-ms 10000] [--relay-protocol udp|tcp|tls]
//
// It speaks the Chrome DevTools Protocol itself over --remote-debugging-pipe
// (file descriptors 3 and 4, JSON messages ended by a NUL byte), so it needs
// node and nothing from npm, and no TCP port is opened for the browser.
// Prints the page's result as JSON, then PASS or FAIL lines; exits 0 only
// when every expectation holds.
import {spawn} from 'node:child_process';
import {createWriteStream} from 'node:fs';
import {join, resolve} from 'node:path';
import {pathToFileURL} from 'node:url';
import {parseArgs} from 'node:util';

const {values: args} = parseArgs({
  options: {
    'chromium': {type: 'string'},
    'page': {type: 'string'},
    'profile': {type: 'string'},
    'turn-url': {type: 'string'},
    'username': {type: 'string'},
    'credential': {type: 'string'},
    'expect': {type: 'string'},
    'timeout-ms': {type: 'string', default: '10000'},
    // How the client reaches the TURN server: getStats()'s relayProtocol.
    'relay-protocol': {type: 'string', default: 'udp'},
  },
});
for (const name of ['chromium', 'page', 'profile', 'turn-url', 'username',
                    'credential', 'expect']) {
  if (args[name] === undefined) {
    console.error(`drive_chromium: --${name} is required (see the header)`);
    process.exit(2);
  }
}
if (args.expect !== 'connect' && args.expect !== 'refuse') {
  console.error(`drive_chromium: --expect must be connect or refuse, ` +
                `not "${args.expect}"`);
  process.exit(2);
}
const pageTimeoutMs = Number(args['timeout-ms']);

// Flags from INTEROP.md: headless without a GPU or sandbox (root in a
// container), no background traffic, and loopback allowed as a network:
// without --allow-loopback-in-peer-connection a machine (or namespace) whose
// only interface is lo gathers no candidates and reports no error.
const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--disable-dev-shm-usage',
  '--allow-loopback-in-peer-connection',
  // TURN over TCP and TLS resolves the server's host through this too, IP
  // literal or not: without the EXCLUDE, turn:127.0.0.1?transport=tcp never
  // connects (UDP takes another path and works either way).
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , ' +
      'EXCLUDE 127.0.0.1',
  // turns: with the test's self-signed certificate (INTEROP.md).
  '--ignore-certificate-errors',
  `--user-data-dir=${args.profile}`,
  '--remote-debugging-pipe',
  'about:blank',
];

const browserLog = createWriteStream(join(args.profile, 'chromium.log'));
const browser = spawn(args.chromium, chromiumFlags, {
  stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
});
browser.stdout.pipe(browserLog);
browser.stderr.pipe(browserLog);
const browserExited = new Promise((r) => browser.on('exit', r));
const toBrowser = browser.stdio[3];
const fromBrowser = browser.stdio[4];

// --- The DevTools protocol over the pipe -----------------------------------
let nextId = 1;
const pending = new Map();  // id -> {resolve, reject, method}
const consoleLines = [];
let received = Buffer.alloc(0);
fromBrowser.on('data', (chunk) => {
  received = Buffer.concat([received, chunk]);
  let end;
  while ((end = received.indexOf(0)) >= 0) {
    const message = JSON.parse(received.subarray(0, end).toString('utf8'));
    received = received.subarray(end + 1);
    dispatch(message);
  }
});
fromBrowser.on('error', () => {});  // the browser closing its end is normal
toBrowser.on('error', () => {});

function dispatch(message) {
  if (message.id !== undefined) {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) {
      waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
    } else {
      waiter.resolve(message.result);
    }
  } else if (message.method === 'Runtime.consoleAPICalled') {
    // The page's console, kept for the diagnosis printed on failure.
    consoleLines.push(message.params.args
                          .map((a) => a.value ?? a.description ?? '')
                          .join(' '));
  }
}

function send(method, params = {}, sessionId = undefined) {
  const id = nextId++;
  const message = {id, method, params};
  if (sessionId) message.sessionId = sessionId;
  return new Promise((resolve, reject) => {
    pending.set(id, {resolve, reject, method});
    toBrowser.write(JSON.stringify(message) + '\0');
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)),
                         ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Opens the page in a new tab and waits (bounded) until runRelayCheck exists.
async function openPage() {
  const pageUrl = pathToFileURL(resolve(args.page)).href;
  const {targetId} = await send('Target.createTarget', {url: pageUrl});
  const {sessionId} =
      await send('Target.attachToTarget', {targetId, flatten: true});
  await send('Runtime.enable', {}, sessionId);
  for (let i = 0; i < 160; ++i) {
    const {result} = await send('Runtime.evaluate', {
      expression: "document.readyState === 'complete' && " +
                  "typeof runRelayCheck === 'function'",
      returnByValue: true,
    }, sessionId);
    if (result.value === true) return sessionId;
    await sleep(50);
  }
  throw new Error(`the page ${pageUrl} did not define runRelayCheck in 8 s`);
}

async function runCheck(sessionId) {
  const options = {
    turnUrl: args['turn-url'],
    username: args.username,
    credential: args.credential,
    timeoutMs: pageTimeoutMs,
  };
  const reply = await send('Runtime.evaluate', {
    expression: `runRelayCheck(${JSON.stringify(options)})`,
    awaitPromise: true,
    returnByValue: true,
  }, sessionId);
  if (reply.exceptionDetails) {
    throw new Error('runRelayCheck threw: ' +
                    JSON.stringify(reply.exceptionDetails));
  }
  return reply.result.value;
}

// --- The expectations ------------------------------------------------------
function judge(result) {
  const failures = [];
  const expect = (ok, what) => { if (!ok) failures.push(what); };
  if (args.expect === 'connect') {
    expect(result.error === null, `the page reported: ${result.error}`);
    expect(result.opened, 'the data channel opened');
    expect(result.messages.atAnswerer === 'ping from offerer',
           'the offerer\'s message reached the answerer');
    expect(result.messages.atOfferer === 'pong from answerer',
           'the answerer\'s message reached the offerer');
    for (const side of ['offerer', 'answerer']) {
      const types = result.candidateTypes[side] ?? [];
      expect(types.length > 0 && types.every((t) => t === 'relay'),
             `${side} gathered only relay candidates (got ${types})`);
      const pair = result.selected[side];
      expect(pair?.local?.candidateType === 'relay',
             `${side}'s selected pair has a relay local candidate`);
      expect(pair?.remote?.candidateType === 'relay',
             `${side}'s selected pair has a relay remote candidate`);
      expect(pair?.local?.relayProtocol === args['relay-protocol'],
             `${side}'s local candidate was relayed over ` +
             `${args['relay-protocol']} (got ${pair?.local?.relayProtocol})`);
    }
  } else {
    // A refused credential: the server answers the Allocate with 401 again
    // (RFC 8656 §7.2 / RFC 8489 §9.2.4), so no relay candidate may appear
    // and the channel must not open.
    const all = [...(result.candidateTypes.offerer ?? []),
                 ...(result.candidateTypes.answerer ?? [])];
    expect(!all.includes('relay'), `no relay candidate (got ${all})`);
    expect(!result.opened, 'the data channel did not open');
    // Over TCP and TLS, Debian's Chromium raises no icecandidateerror for
    // the refused Allocate while the page waits (gathering stays open);
    // relay_only_test.sh then checks the server's bad_integrity verdicts.
    if (args['relay-protocol'] === 'udp') {
      for (const side of ['offerer', 'answerer']) {
        expect(result.iceErrors.some((e) => e.side === side &&
                                            e.errorCode === 401),
               `${side} saw the server's 401 (icecandidateerror)`);
      }
    }
  }
  return failures;
}

async function main() {
  // The page's own deadline plus start-up: past this the driver gives up,
  // and closing the browser (finish) adds at most 7 s.
  const overallMs = pageTimeoutMs + 12000;
  const overall = setTimeout(() => {
    console.log(`FAIL: the driver gave up after ${overallMs} ms`);
    finish(1);
  }, overallMs);
  let status = 1;
  try {
    const sessionId = await withTimeout(openPage(), 10000, 'opening the page');
    const result = await withTimeout(runCheck(sessionId), pageTimeoutMs + 2000,
                                     'runRelayCheck');
    console.log(JSON.stringify(result, null, 2));
    const failures = judge(result);
    for (const f of failures) console.log(`FAIL: expected: ${f}`);
    if (failures.length === 0) {
      console.log(`PASS: expectation "${args.expect}" holds`);
      status = 0;
    }
  } catch (e) {
    console.log(`FAIL: ${e.message}`);
  }
  if (status !== 0 && consoleLines.length > 0) {
    console.log('--- page console:\n' + consoleLines.join('\n'));
  }
  clearTimeout(overall);
  await finish(status);
}

// Closes the browser politely, then by force after 5 s, and exits.
async function finish(status) {
  send('Browser.close').catch(() => {});
  const closed = await Promise.race([browserExited.then(() => true),
                                     sleep(5000).then(() => false)]);
  if (!closed) {
    browser.kill('SIGKILL');
    await Promise.race([browserExited, sleep(2000)]);
  }
  browserLog.end();
  process.exit(status);
}

browser.on('error', (e) => {
  console.log(`FAIL: cannot start ${args.chromium}: ${e.message}`);
  process.exit(1);
});
main();
