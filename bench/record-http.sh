#!/usr/bin/env bash
# Records an HTTP-heavy capture for the benchmarks in a namespace lab
# (scripts/netlab.sh): HTTP/1.1 keep-alive transactions from the client to
# the server's port 8080, with responses of 4 to 16 KB, over IPv4 and IPv6.
# Offloads are off on the veths, so every frame fits the 1500-byte MTU and
# the mean frame is about 1 KB. The capture is taken on the router.
#
# Usage: bench/record-http.sh [--small] [OUTPUT]
#   default: bench/captures/http-heavy.pcap, about 30 MB (not in git)
#   --small: bench/captures/http-small.pcap, about 0.5 MB (committed)
# Needs root, curl, tcpdump and ethtool.
set -euo pipefail

readonly ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly NETLAB="$ROOT/scripts/netlab.sh"
readonly PEER="$ROOT/scripts/lab/demo-peer.py"
readonly SERVER4=203.0.113.2
readonly SERVER6=2001:db8:2::2
# Response bodies in bytes; requests cycle through them.
readonly PAGE_SIZES=(4096 6144 8192 10240 12288 16384)
readonly SERVER_MAX_S=600
readonly CLIENT_MAX_S=300

write_pages() {
  local dir="$1" size i
  mkdir -p "$dir"
  {
    echo "<!doctype html><html><head><title>Catalogue</title></head><body>"
    for i in $(seq 1 250); do
      echo "<p>Item $i: a plain product line for the lab shop, in stock, ships in $((i % 7 + 1)) days.</p>"
    done
  } >"$dir/catalogue.txt"
  for size in "${PAGE_SIZES[@]}"; do
    head -c "$size" "$dir/catalogue.txt" >"$dir/page-$size.html"
  done
}

# Writes a curl config of $2 requests to base URL $1, cycling the page sizes.
write_requests() {
  local base="$1" count="$2" i
  for i in $(seq 0 $((count - 1))); do
    echo "url = \"$base/page-${PAGE_SIZES[$((i % ${#PAGE_SIZES[@]}))]}.html\""
    echo 'output = "/dev/null"'
  done
}

# Runs CONNECTIONS curl processes one after the other (half over IPv6), each
# doing REQUESTS transactions on one keep-alive connection.
client_traffic() {
  local tag="$1" connections="$2" requests="$3" work="$4" c
  write_requests "http://$SERVER4:8080" "$requests" >"$work/requests4.conf"
  write_requests "http://[$SERVER6]:8080" "$requests" >"$work/requests6.conf"
  for c in $(seq 1 "$connections"); do
    local conf="$work/requests4.conf"
    ((c % 2 == 0)) && conf="$work/requests6.conf"
    ip netns exec "$tag-cli" timeout "$CLIENT_MAX_S" \
      curl -sS --fail -A kapu-bench/1.0 --config "$conf"
  done
}

wait_listening() {
  local tag="$1" i
  for i in $(seq 1 50); do
    ip netns exec "$tag-srv" ss -lnt | awk '{print $4}' | grep -q ':8080$' && return 0
    sleep 0.1
  done
  echo "record-http: the HTTP server did not start in $tag-srv" >&2
  return 1
}

main() {
  if [[ "${1:-}" == traffic ]]; then
    client_traffic "$2" "$3" "$4" "$5"
    return 0
  fi

  local connections=60 requests=50 out="$ROOT/bench/captures/http-heavy.pcap"
  if [[ "${1:-}" == --small ]]; then
    connections=2
    requests=25
    out="$ROOT/bench/captures/http-small.pcap"
    shift
  fi
  [[ $# -gt 0 ]] && out="$1"
  [[ "$(id -u)" == 0 ]] || { echo "record-http: must run as root" >&2; exit 1; }
  command -v ethtool >/dev/null || { echo "record-http: ethtool not found (Debian package ethtool)" >&2; exit 1; }

  WORK="$(mktemp -d)"
  TAG="$("$NETLAB" setup --no-offload)"
  trap '"$NETLAB" teardown "$TAG"; rm -rf "$WORK"' EXIT

  write_pages "$WORK/www"
  ip netns exec "$TAG-srv" python3 "$PEER" http-server "$WORK/www" --port 8080 --max-seconds "$SERVER_MAX_S" --buffered &
  wait_listening "$TAG"
  ip netns exec "$TAG-cli" ping -n -c 1 -W 2 "$SERVER4" >/dev/null
  ip netns exec "$TAG-cli" ping -n -6 -c 1 -W 2 "$SERVER6" >/dev/null

  mkdir -p "$(dirname "$out")"
  NETLAB_RECORD_MAX_S="$CLIENT_MAX_S" "$NETLAB" record "$TAG" "$WORK/http.pcap" \
    "$0" traffic "$TAG" "$connections" "$requests" "$WORK"
  cp "$WORK/http.pcap" "$out"
  echo "record-http: wrote $out ($(stat -c %s "$out") bytes)"
}

main "$@"
