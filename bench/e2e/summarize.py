#!/usr/bin/env python3
"""Turns run.sh's result lines into a side-by-side Markdown table.

Each cell is the median over the repetitions, then [min-max]; a run whose
load client exited non-zero is left out of the numbers and counted in the
"failed runs" row, so a failure is never hidden behind a median. With the
minimal forwarder ("minfwd") in the run, each relay workload also gets the
servers' CPU per relayed packet as a ratio to the forwarder's (medians).

  summarize.py RESULTS [--plot-data FILE]

--plot-data writes gnuplot's input for plot.gp: per relay workload, the
median CPU µs per relayed packet (block 0) and delivered packets/s
(block 1) of each server.
"""
import argparse
import statistics

BASELINE = "minfwd"

# Rows of each relay workload: (key in the RESULT line, label, scale,
# decimals).
RELAY_ROWS = [
    ("relayed_per_s", "delivered packets/s", 1, 0),
    ("loss_pct", "loss %", 1, 3),
    ("rtt_p50_us", "round trip p50 (µs)", 1, 0),
    ("rtt_p99_us", "round trip p99 (µs)", 1, 0),
    ("cpu_us_per_relayed", "server CPU µs per relayed packet", 1, 2),
    ("peak_rss_kib", "peak RSS (MiB)", 1 / 1024, 1),
]
MAX_ONLY_ROWS = [
    ("cpu_s", "server CPU s", 1, 2),
    ("load_client_cpu_s", "load client CPU s", 1, 2),
]
ALLOC_ROWS = [
    ("allocs_per_s", "authenticated allocations/s", 1, 0),
    ("bytes_per_alloc", "RSS bytes per allocation", 1, 0),
    ("cpu_us_per_alloc", "server CPU µs per allocation", 1, 0),
    ("rss_after_kib", "RSS after (MiB)", 1 / 1024, 1),
]
ALLOC_LABELS = {"alloc1k": "1,000 allocations", "alloc10k": "10,000 allocations"}


def parse(path):
    runs = []
    with open(path, encoding="utf-8") as results:
        for line in results:
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            if fields:
                runs.append(fields)
    return runs


def values(runs, server, workload, key):
    return [float(r[key]) for r in runs
            if r["server"] == server and r["workload"] == workload
            and r["status"] == "0" and key in r]


def median(runs, server, workload, key):
    found = values(runs, server, workload, key)
    return statistics.median(found) if found else None


def cell(found, scale, decimals):
    if not found:
        return "—"
    found = [v * scale for v in found]
    text = f"{statistics.median(found):,.{decimals}f}"
    if len(found) > 1:
        text += f" [{min(found):,.{decimals}f}–{max(found):,.{decimals}f}]"
    return text


def workload_label(workload):
    if workload.startswith("rate"):
        return f"{int(workload[4:]):,} packets/s offered"
    if workload == "max":
        return "unbounded (closed loop)"
    return ALLOC_LABELS.get(workload, workload)


def ordered(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--plot-data")
    arguments = parser.parse_args()
    runs = parse(arguments.results)
    servers = ordered(r["server"] for r in runs)
    workloads = ordered(r["workload"] for r in runs)
    relay = [w for w in workloads if w.startswith("rate") or w == "max"]
    relay.sort(key=lambda w: float("inf") if w == "max" else int(w[4:]))
    print("| workload: metric | " + " | ".join(servers) + " |")
    print("| --- |" + " ---: |" * len(servers))

    def row(label, workload, key, scale, decimals):
        cells = [cell(values(runs, s, workload, key), scale, decimals)
                 for s in servers]
        print(f"| {label} | " + " | ".join(cells) + " |")

    for workload in relay:
        prefix = workload_label(workload)
        rows = RELAY_ROWS + (MAX_ONLY_ROWS if workload == "max" else [])
        for key, label, scale, decimals in rows:
            row(f"{prefix}: {label}", workload, key, scale, decimals)
            if key == "cpu_us_per_relayed" and BASELINE in servers:
                base = median(runs, BASELINE, workload, key)
                cells = []
                for server in servers:
                    mine = median(runs, server, workload, key)
                    cells.append(f"{mine / base:.2f}×" if mine and base else "—")
                print(f"| {prefix}: ÷ minimal forwarder's CPU per packet | "
                      + " | ".join(cells) + " |")
    for workload in ("alloc1k", "alloc10k"):
        if workload in workloads:
            for key, label, scale, decimals in ALLOC_ROWS:
                row(f"{workload_label(workload)}: {label}", workload, key,
                    scale, decimals)
    failed = [sum(1 for r in runs if r["server"] == s and r["status"] != "0")
              for s in servers]
    print("| failed runs (load client exit ≠ 0) | "
          + " | ".join(str(f) for f in failed) + " |")
    threads = [",".join(sorted({r["threads"] for r in runs if r["server"] == s}))
               for s in servers]
    print("| server threads | " + " | ".join(threads) + " |")

    if arguments.plot_data:
        with open(arguments.plot_data, "w", encoding="utf-8") as plot:
            for block, key in enumerate(("cpu_us_per_relayed", "relayed_per_s")):
                if block:
                    plot.write("\n\n")
                plot.write("workload " + " ".join(servers) + "\n")
                for workload in relay:
                    name = "max" if workload == "max" else f"{int(workload[4:]) // 1000}k/s"
                    numbers = [median(runs, s, workload, key) for s in servers]
                    plot.write(f'"{name}" ' + " ".join(
                        "?" if n is None else f"{n:.3f}" for n in numbers) + "\n")


if __name__ == "__main__":
    main()
