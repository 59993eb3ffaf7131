#!/usr/bin/env bash
# Records samples/demo.pcap in a fresh lab (scripts/netlab.sh): normal HTTP,
# DNS and ping traffic between the client 198.51.100.2 / 2001:db8:1::2 and
# the server 203.0.113.2 / 2001:db8:2::2, mixed with the attacks that the
# rules in samples/et-demo.rules and samples/demo.rules detect. The capture
# is taken on the router's client-side interface. samples/EXPECTED.md lists
# which frames each rule should match.
#
# Usage: scripts/record-demo.sh [OUTPUT]   (default samples/demo.pcap; needs root)
set -euo pipefail

readonly ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly NETLAB="$ROOT/scripts/netlab.sh"
readonly PEER="$ROOT/scripts/lab/demo-peer.py"
readonly SERVER4=203.0.113.2
readonly SERVER6=2001:db8:2::2
# Every server in the lab stops on its own after this many seconds.
readonly SERVER_MAX_S=120
readonly STEP_TIMEOUT_S=10

# Execve("/bin//sh") for Linux x86, 23 bytes, preceded by a sled of
# "jmp +12" (EB 0C) instructions.
readonly NOP_SLED_HEX="$(printf 'eb0c%.0s' $(seq 1 16))"
readonly EXECVE_HEX=31c050682f2f7368682f62696e89e3505389e1b00bcd80
# A 64-byte ELF64 header for x86-64 (type EXEC, one program header), made
# up for the demo: it describes no real program.
readonly ELF_HEADER_HEX=7f454c4602010100000000000000000002003e000100000078004000000000004000000000000000000000000000000000000000400038000100000000000000

on_cli() { ip netns exec "$TAG-cli" timeout "$STEP_TIMEOUT_S" "$@"; }

pause() { sleep 0.2; }

normal_traffic() {
  on_cli ping -n -c 3 -i 0.2 -W 1 "$SERVER4"
  on_cli ping -n -6 -c 2 -i 0.2 -W 1 "$SERVER6"
  pause

  on_cli python3 "$PEER" dns-query "$SERVER4" www.example A --id 0x1001
  on_cli python3 "$PEER" dns-query "$SERVER4" www.example AAAA --id 0x1002
  on_cli python3 "$PEER" dns-query "$SERVER6" mail.example A --id 0x1003
  on_cli python3 "$PEER" dns-query "$SERVER4" printer.example A --id 0x1004
  pause

  local page
  for page in "" about.html news.html style.css; do
    on_cli curl -sS -o /dev/null -A kapu-demo/1.0 "http://$SERVER4:8080/$page"
    pause
  done
  for page in "" news.html; do
    on_cli curl -sS -o /dev/null -A kapu-demo/1.0 "http://[$SERVER6]:8080/$page"
    pause
  done
}

attack_traffic() {
  # ICMP echo with the "=XXXXXXXX" payload of a scanning tool.
  local payload
  payload="$(mktemp)"
  printf '=XXXXXXXX' >"$payload"
  on_cli hping3 -q -1 -c 1 -E "$payload" -d 9 "$SERVER4" || true
  rm -f "$payload"
  pause

  # One oversized echo request from the standard ping.
  on_cli ping -n -c 1 -s 1200 -W 1 "$SERVER4"
  pause

  # SYN sweeps: 6 to the SSH port and 7 to the MySQL port. No listener
  # runs there, so the server resets each.
  on_cli hping3 -q -S -p 22 -c 6 -i u50000 "$SERVER4" || true
  on_cli hping3 -q -S -p 3306 -c 7 -i u50000 "$SERVER4" || true
  pause

  # The admin page, over both families.
  on_cli curl -sS -o /dev/null -A kapu-demo/1.0 "http://$SERVER4:8080/admin/"
  pause
  on_cli curl -sS -o /dev/null -A kapu-demo/1.0 "http://[$SERVER6]:8080/admin/"
  pause

  # A lookup of a name in the blocked demo zone.
  on_cli python3 "$PEER" dns-query "$SERVER4" c2.bad.example A --id 0x1005
  pause

  # A command shell on port 4444: "id" and the reply of a root shell, then shellcode,
  # then an ELF header, each on its own connection.
  on_cli python3 "$PEER" send "$SERVER4" 4444 69640a
  pause
  on_cli python3 "$PEER" send "$SERVER4" 4444 "$NOP_SLED_HEX$EXECVE_HEX"
  pause
  on_cli python3 "$PEER" send "$SERVER4" 4444 "$ELF_HEADER_HEX"
}

write_site() {
  local www="$1"
  mkdir -p "$www/admin"
  cat >"$www/index.html" <<'EOF'
<!doctype html>
<html><head><title>Example Lab Shop</title><link rel="stylesheet" href="style.css"></head>
<body><h1>Example Lab Shop</h1>
<p>Welcome. See the <a href="news.html">news</a> or read <a href="about.html">about us</a>.</p>
</body></html>
EOF
  cat >"$www/about.html" <<'EOF'
<!doctype html>
<html><head><title>About</title></head>
<body><h1>About</h1><p>A small shop that exists only inside a test network.</p></body></html>
EOF
  cat >"$www/news.html" <<'EOF'
<!doctype html>
<html><head><title>News</title></head>
<body><h1>News</h1>
<ul><li>New opening hours from Monday.</li><li>The catalogue now has 42 items.</li></ul>
</body></html>
EOF
  cat >"$www/style.css" <<'EOF'
body { font-family: sans-serif; margin: 2em; }
h1 { color: #224466; }
EOF
  cat >"$www/admin/index.html" <<'EOF'
<!doctype html>
<html><head><title>Admin</title></head>
<body><h1>Administration</h1><form method="post"><input name="user"><input name="pass" type="password"></form></body></html>
EOF
}

# Waits until something in the server namespace listens on $1 ($2: tcp or udp).
wait_listening() {
  local port="$1" proto="$2" i flag=-lnt
  [[ "$proto" == udp ]] && flag=-lnu
  for i in $(seq 1 50); do
    ip netns exec "$TAG-srv" ss "$flag" | awk '{print $4}' | grep -q ":$port\$" && return 0
    sleep 0.1
  done
  echo "record-demo: nothing listens on $proto port $port in $TAG-srv" >&2
  return 1
}

main() {
  if [[ "${1:-}" == traffic ]]; then
    TAG="$2"
    normal_traffic
    attack_traffic
    return 0
  fi

  local out="${1:-$ROOT/samples/demo.pcap}"
  [[ "$(id -u)" == 0 ]] || { echo "record-demo: must run as root" >&2; exit 1; }

  WORK="$(mktemp -d)"
  TAG="$("$NETLAB" setup --no-offload)"
  trap '"$NETLAB" teardown "$TAG"; rm -rf "$WORK"' EXIT

  write_site "$WORK/www"
  local srv=(ip netns exec "$TAG-srv")
  "${srv[@]}" python3 "$PEER" http-server "$WORK/www" --port 8080 --max-seconds "$SERVER_MAX_S" &
  "${srv[@]}" python3 "$PEER" dns-server --max-requests 20 --max-seconds "$SERVER_MAX_S" &
  "${srv[@]}" python3 "$PEER" shell-server --max-requests 10 --max-seconds "$SERVER_MAX_S" &
  wait_listening 8080 tcp
  wait_listening 53 udp
  wait_listening 4444 tcp

  # Fill the neighbour caches first, so the capture contains no ARP or
  # neighbour discovery exchange and no delayed first IPv6 packet.
  on_cli ping -n -c 1 -W 2 "$SERVER4" >/dev/null
  on_cli ping -n -6 -c 1 -W 2 "$SERVER6" >/dev/null

  "$NETLAB" record "$TAG" "$WORK/demo.pcap" "$0" traffic "$TAG"
  cp "$WORK/demo.pcap" "$out"
  echo "record-demo: wrote $out ($(stat -c %s "$out") bytes)"
}

main "$@"
