#!/usr/bin/env bash
# Records the captures of the virtual-patch catalog in a fresh lab
# (scripts/netlab.sh): for each patch, CVE-attempts.pcap with the attempts
# of test/virtual-patches/requests.json and CVE-normal.pcap with its normal
# requests. The client 198.51.100.2 sends them, each on its own TCP
# connection, to scripts/lab/virtual-patch-server.js on 203.0.113.2:8080.
# Nothing blocks them: the lab router only forwards, and the capture is
# taken on its client-side interface. Offloads are off, so every frame fits
# the MTU and carries valid checksums.
#
# Usage: scripts/record-virtual-patches.sh [OUTPUT_DIR]
#        (default test/pcaps/virtual-patches; needs root)
set -euo pipefail

readonly ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly NETLAB="$ROOT/scripts/netlab.sh"
readonly SERVER_JS="$ROOT/scripts/lab/virtual-patch-server.js"
readonly CLIENT_JS="$ROOT/scripts/lab/virtual-patch-client.js"
readonly REQUESTS="$ROOT/test/virtual-patches/requests.json"
readonly OUT="${1:-$ROOT/test/pcaps/virtual-patches}"
readonly SERVER=203.0.113.2
readonly PORT=8080
# The server stops on its own after this many seconds.
readonly SERVER_MAX_S=300
readonly NODE="$(command -v node)"

[[ "$(id -u)" == 0 ]] || { echo "record-virtual-patches: must run as root" >&2; exit 1; }
mkdir -p "$OUT"

TAG="kvprec$$"
"$NETLAB" setup "$TAG" --no-offload >/dev/null
trap '"$NETLAB" teardown "$TAG"' EXIT

ip netns exec "$TAG-srv" "$NODE" "$SERVER_JS" "$PORT" "$SERVER_MAX_S" >"$OUT/.server.log" &
for _ in $(seq 1 50); do
  grep -q listening "$OUT/.server.log" && break
  sleep 0.1
done
grep -q listening "$OUT/.server.log" || { echo "record-virtual-patches: test server did not start" >&2; exit 1; }

cves="$("$NODE" -e 'console.log(Object.keys(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).patches).join(" "))' "$REQUESTS")"
for cve in $cves; do
  name="$(tr '[:upper:]' '[:lower:]' <<<"$cve")"
  for kind in attempts normal; do
    file="$OUT/$name-$kind.pcap"
    "$NETLAB" record "$TAG" "$file" \
      ip netns exec "$TAG-cli" timeout 60 "$NODE" "$CLIENT_JS" "$SERVER" "$PORT" "$cve" "$kind"
    # Keep only the test connections: the lab's own IPv6 chatter (MLD,
    # router solicitations) is not part of what the patches are tested on.
    tcpdump -r "$file" -w "$file.tmp" "tcp port $PORT" 2>/dev/null
    mv "$file.tmp" "$file"
    chown --reference="$OUT" "$file"
    chmod 644 "$file"
  done
done
rm -f "$OUT/.server.log"
