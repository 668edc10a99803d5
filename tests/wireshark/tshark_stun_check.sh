#!/usr/bin/env bash
# Wireshark as an independent judge of our STUN encoder.
#
# Usage: tshark_stun_check.sh TSHARK PCAP_WRITER WORK_DIR
#
# PCAP_WRITER (tests/wireshark/stun_pcap_writer.cc) writes one UDP/IPv4 packet
# from port 3478 carrying an Allocate success response made by MessageBuilder
# (XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS, LIFETIME, SOFTWARE,
# MESSAGE-INTEGRITY, FINGERPRINT). tshark must decode it as STUN with exactly
# those attributes and values, good IPv4/UDP checksums, a good FINGERPRINT,
# and no expert info or malformed-packet marks.
#
# The same check is then run on deliberately broken variants of the packet
# and must fail on each of them: that proves the check can fail, so a pass
# means something.
#
# What the running server sends is judged the same way from a real capture
# in tests/runtime/turn_tshark_capture_test.cc.
set -u

tshark=$1
writer=$2
work=$3
mkdir -p "$work"

# The values stun_pcap_writer.cc encodes.
readonly want_type="0x0103"  # Allocate success response (RFC 8656 §7.3)
readonly want_attributes="0x0016,0x0020,0x000d,0x8022,0x0008,0x8028"
readonly want_ips="203.0.113.10,198.51.100.20"
readonly want_ports="49999,54321"
readonly want_lifetime="600"
readonly want_software="turnpike codec test"

# Runs tshark on $1 with the remaining arguments. -n: no name lookups (the
# test must not touch the network). Checksum verification is off by default
# in Wireshark; turn it on. tshark warns on stderr when run as root; that line
# is expected and dropped, anything else on stderr is a failure.
run_tshark() {
  local pcap=$1
  shift
  local err="$work/tshark.stderr"
  "$tshark" -n -r "$pcap" \
    -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
    -o "stun.stunversion:RFC5389 and later" \
    -d udp.port==3478,stun "$@" 2>"$err"
  local status=$?
  local other
  other=$(grep -v '^Running as user "root" and group "root"\. This could be dangerous\.$' "$err")
  if [[ $status -ne 0 || -n $other ]]; then
    echo "tshark failed (exit $status): $other" >&2
    return 1
  fi
}

# Prints why $1 is not a cleanly decoded Allocate success response; returns 0
# when it is. With $2 = "fields-only" the -V pass is skipped (each tshark start
# costs about a second; the self-checks below need only the field pass to
# fail, and the -V patterns were shown to fire on the same corruptions by
# hand).
check_pcap() {
  local pcap=$1
  local depth=${2:-full}
  local problems=()

  local fields
  fields=$(run_tshark "$pcap" -T fields -E separator='|' -E occurrence=a \
    -e frame.protocols -e stun.type -e stun.att.type -e stun.att.ipv4 \
    -e stun.att.port -e stun.att.lifetime -e stun.att.software \
    -e stun.att.hmac -e stun.att.crc32.status -e ip.checksum.status \
    -e udp.checksum.status -e _ws.expert -e _ws.malformed) ||
    problems+=("tshark -T fields failed")
  local protocols type attributes ips ports lifetime software hmac crc \
    ip_status udp_status expert malformed
  IFS='|' read -r protocols type attributes ips ports lifetime software hmac \
    crc ip_status udp_status expert malformed <<<"$fields"

  [[ $protocols == "raw:ip:udp:stun" ]] ||
    problems+=("protocols '$protocols', want raw:ip:udp:stun")
  [[ $type == "$want_type" ]] || problems+=("message type '$type'")
  [[ $attributes == "$want_attributes" ]] ||
    problems+=("attribute types '$attributes', want $want_attributes")
  [[ $ips == "$want_ips" ]] || problems+=("addresses '$ips', want $want_ips")
  [[ $ports == "$want_ports" ]] || problems+=("ports '$ports', want $want_ports")
  [[ $lifetime == "$want_lifetime" ]] || problems+=("lifetime '$lifetime'")
  [[ $software == "$want_software" ]] || problems+=("software '$software'")
  [[ $hmac =~ ^[0-9a-f]{40}$ ]] || problems+=("HMAC '$hmac' is not 20 bytes")
  # Status fields: 1 = Good (0 Bad, 2 Unverified, 3 Not present, 4 Illegal).
  [[ $crc == "1" ]] || problems+=("stun.att.crc32.status '$crc', want 1 (Good)")
  [[ $ip_status == "1" ]] || problems+=("ip.checksum.status '$ip_status'")
  [[ $udp_status == "1" ]] || problems+=("udp.checksum.status '$udp_status'")
  [[ -z $expert ]] || problems+=("expert info: $expert")
  [[ -z $malformed ]] || problems+=("malformed: $malformed")

  # The human-readable decode, for what the field names do not cover.
  if [[ $depth == full ]]; then
    local verbose
    verbose=$(run_tshark "$pcap" -V) || problems+=("tshark -V failed")
    local want
    for want in "XOR-RELAYED-ADDRESS: 203.0.113.10:49999" \
      "XOR-MAPPED-ADDRESS: 198.51.100.20:54321" "Lifetime: 600" \
      "MESSAGE-INTEGRITY" "[CRC-32 Status: Good]"; do
      grep -qF -- "$want" <<<"$verbose" || problems+=("-V lacks '$want'")
    done
    local unwanted
    for unwanted in "Malformed" "Expert Info" "incorrect" "[Bad" \
      "Bad checksum" "Bad Fingerprint" "trailing data" "Attribute unknown"; do
      if grep -qiF -- "$unwanted" <<<"$verbose"; then
        problems+=("-V contains '$unwanted'")
      fi
    done
  fi

  if ((${#problems[@]} > 0)); then
    printf '  %s\n' "${problems[@]}"
    return 1
  fi
  return 0
}

failed=0

echo "== the encoder's Allocate success response"
if ! "$writer" "$work/allocate.pcap"; then
  echo "FAIL: the pcap writer failed"
  exit 1
fi
if check_pcap "$work/allocate.pcap"; then
  echo "ok: tshark decodes it cleanly"
else
  echo "FAIL: tshark does not decode it cleanly (above)"
  failed=1
fi

for mode in fingerprint body length udp-checksum; do
  echo "== self-check: corrupted ($mode) must be caught"
  if ! "$writer" "$work/corrupt-$mode.pcap" "--corrupt=$mode"; then
    echo "FAIL: the pcap writer failed for --corrupt=$mode"
    failed=1
    continue
  fi
  if check_pcap "$work/corrupt-$mode.pcap" fields-only; then
    echo "FAIL: the check passed a packet corrupted with --corrupt=$mode"
    failed=1
  else
    echo "ok: caught"
  fi
done

exit $failed
