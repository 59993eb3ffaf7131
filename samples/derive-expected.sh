#!/usr/bin/env bash
# Derives, with tshark alone, the frames of samples/demo.pcap that each demo
# rule should match, and compares the counts with expected-alerts.json.
# Each display filter restates one rule's header and options; thresholds are
# applied to the ordered list of candidate frames. This is the independent
# source of samples/EXPECTED.md: it never runs kapu.
#
# Usage: samples/derive-expected.sh [PCAP]   (default samples/demo.pcap)
set -euo pipefail

readonly DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly PCAP="${1:-$DIR/demo.pcap}"
readonly HOME4='ip.dst == 203.0.113.0/24'
readonly HOME6='ipv6.dst == 2001:db8:2::/64'
readonly FROM_EXTERNAL='!(ip.src == 203.0.113.0/24) && !(ipv6.src == 2001:db8:2::/64)'
readonly TO_HOME="($HOME4 || $HOME6) && $FROM_EXTERNAL"
readonly FROM_HOME_TO_EXTERNAL='(ip.src == 203.0.113.0/24 || ipv6.src == 2001:db8:2::/64) && !(ip.dst == 203.0.113.0/24) && !(ipv6.dst == 2001:db8:2::/64)'
# Established: the packet is not part of the handshake.
readonly ESTABLISHED='tcp && !(tcp.flags.syn == 1)'

frames() {
  tshark -r "$PCAP" -Y "$1" -T fields -e frame.number 2>/dev/null | paste -sd' ' -
}

# Prints "sid count frames" for one rule. $3 limits the frames: "all",
# "limit N" (the first N) or "both N" (only the Nth).
report() {
  local sid="$1" filter="$2" mode="${3:-all}"
  local list
  list="$(frames "$filter")"
  read -ra all <<<"$list"
  local picked=()
  case "$mode" in
    all) picked=("${all[@]}") ;;
    limit*) picked=("${all[@]:0:${mode#limit }}") ;;
    both*)
      local n="${mode#both }"
      [[ ${#all[@]} -ge $n ]] && picked=("${all[$((n - 1))]}")
      ;;
  esac
  printf '%s %s %s\n' "$sid" "${#picked[@]}" "${picked[*]:-}"
}

derive() {
  # GPL ATTACK_RESPONSE id check returned root: ip any any, content anywhere.
  report 2100498 'frame contains "uid=0(root)"'
  # ET ATTACK_RESPONSE Output of id command: $HTTP_SERVERS -> $EXTERNAL_NET, established.
  report 2019284 "$ESTABLISHED && $FROM_HOME_TO_EXTERNAL && tcp.payload matches \"uid=[0-9]+[^ \\\\r\\\\n]+ gid=[0-9]+[^ \\\\r\\\\n]+ groups=\""
  # ET SHELLCODE Execve(/bin/sh): ip $EXTERNAL_NET -> $HOME_NET.
  report 2025695 "$TO_HOME && frame contains 31:c0:50:68:2f:2f:73:68:68:2f:62:69:6e:89:e3:50:53:89:e1:b0:0b:cd:80"
  # GPL SHELLCODE x86 0xEB0C NOOP: ip $EXTERNAL_NET !80 -> $HOME_NET.
  report 2101424 "$TO_HOME && !(tcp.srcport == 80) && !(udp.srcport == 80) && frame contains eb:0c:eb:0c:eb:0c:eb:0c:eb:0c:eb:0c:eb:0c:eb:0c"
  # ET POLICY ELF download: tcp $EXTERNAL_NET !$HTTP_PORTS -> $HOME_NET, |7F|ELF then 8 zero bytes 3 bytes later.
  report 2000418 "$ESTABLISHED && $TO_HOME && !(tcp.srcport in {80, 8080}) && tcp.payload matches \"\\\\x7fELF...\\\\x00{8}\""
  # ET SCAN ICMP =XXXXXXXX: echo request, code 0.
  report 2010686 "$TO_HOME && icmp.type == 8 && icmp.code == 0 && icmp contains \"=XXXXXXXX\""
  # GPL ICMP_INFO PING *NIX: echo request, bytes 10..1F within the first 32 bytes of data.
  report 2100366 "$TO_HOME && icmp.type == 8 && icmp[8:32] contains 10:11:12:13:14:15:16:17:18:19:1a:1b:1c:1d:1e:1f"
  # ET SCAN Potential SSH Scan: SYN to 22, threshold both, count 5 by source.
  report 2001219 "$TO_HOME && tcp.dstport == 22 && tcp.flags & 0x3f == 0x02" "both 5"
  # ET SCAN Suspicious inbound to mySQL: SYN to 3306, threshold limit, count 5 by source.
  report 2010937 "$TO_HOME && tcp.dstport == 3306 && tcp.flags == 0x002" "limit 5"

  report 1000001 "$ESTABLISHED && $TO_HOME && tcp.dstport in {80, 8080} && tcp.payload[0:11] == \"GET /admin/\""
  # 1000002 only sets its flowbit (noalert); its frames are listed for reference.
  report 1000002 "$ESTABLISHED && $TO_HOME && tcp.dstport == 4444 && tcp.len == 3 && tcp.payload == 69:64:0a"
  report 1000003 "$ESTABLISHED && $FROM_HOME_TO_EXTERNAL && tcp.srcport == 4444 && tcp.payload[0:4] == \"uid=\""
  report 1000004 "$ESTABLISHED && $TO_HOME && tcp.payload contains eb:0c:eb:0c:eb:0c:eb:0c"
  report 1000005 "$TO_HOME && udp.dstport == 53 && udp.payload[4:2] == 00:01 && udp.payload[12:] matches \"(?i)\\\\x03bad\\\\x07example\\\\x00\""
  report 1000006 "$TO_HOME && icmp.type == 8 && ip.len - ip.hdr_len - 8 > 1000"
}

main() {
  command -v tshark >/dev/null || { echo "derive-expected: tshark not found (Debian package tshark)" >&2; exit 1; }
  local table
  table="$(derive)"
  echo "sid count frames"
  echo "$table"

  # The flowbits rule 1000002 never alerts, so it is not in the JSON.
  local derived expected
  derived="$(awk '$1 != 1000002 && $2 > 0 { print $1, $2 }' <<<"$table" | sort)"
  expected="$(node -e '
    const list = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).alerts;
    for (const a of list) console.log(a.sid, a.count);
  ' "$DIR/expected-alerts.json" | sort)"
  if [[ "$derived" == "$expected" ]]; then
    echo "derive-expected: counts agree with expected-alerts.json"
  else
    echo "derive-expected: counts differ from expected-alerts.json" >&2
    diff <(echo "$expected") <(echo "$derived") >&2 || true
    exit 1
  fi
}

main "$@"
