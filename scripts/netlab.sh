#!/usr/bin/env bash
# Builds and removes a three-host test lab in network namespaces:
#
#   TAG-cli  c0 198.51.100.2/24 2001:db8:1::2/64
#              |  veth
#   TAG-ips  ic 198.51.100.1/24 2001:db8:1::1/64   (router, forwards both families)
#            is 203.0.113.1/24  2001:db8:2::1/64
#              |  veth
#   TAG-srv  s0 203.0.113.2/24  2001:db8:2::2/64
#
# Only documentation addresses are used (RFC 5737, RFC 3849). Namespace names
# carry a tag (default: kapu<PID of setup>), so parallel labs do not collide.
# Interface names live inside the namespaces and never reach the host.
#
# Usage:
#   netlab.sh setup [TAG] [--no-offload]   build the lab, print TAG on stdout
#   netlab.sh teardown TAG                 end the processes inside, delete the namespaces
#   netlab.sh exec TAG HOST CMD [ARG...]   run CMD in host cli, ips or srv
#   netlab.sh record TAG FILE CMD [ARG...] capture on the router's client side
#                                          (ips:ic) while CMD runs
#   netlab.sh queue-on TAG [NUM] [--no-bypass]
#                                          send forwarded IPv4 and IPv6 packets in ips
#                                          to NFQUEUE NUM (default 0)
#   netlab.sh queue-off TAG                remove the queue rules again
#   netlab.sh list                         print the tags of labs that exist
#
# The queue rules use iptables-nft's NFQUEUE target, because some kernels
# lack nftables' own queue statement (nft_queue). With bypass (the default),
# packets flow unqueued while no program is bound to the queue.
# --no-offload switches off TSO, GSO, GRO and checksum offload on the veths
# (needs ethtool), so that captured frames never exceed the MTU and carry
# valid checksums.
#
# Environment:
#   NETLAB_RECORD_MAX_S   upper bound of a capture in seconds (default 300)
#   NETLAB_CAPTURE_IF     interface in ips to capture on (default ic)
set -euo pipefail

readonly HOSTS=(cli ips srv)
readonly RECORD_MAX_S="${NETLAB_RECORD_MAX_S:-300}"
readonly CAPTURE_IF="${NETLAB_CAPTURE_IF:-ic}"
# How long teardown waits after SIGTERM before it sends SIGKILL.
readonly TERM_GRACE_S=0.5

die() {
  echo "netlab: $*" >&2
  exit 1
}

require_root() {
  [[ "$(id -u)" == 0 ]] || die "must run as root (network namespaces need CAP_SYS_ADMIN)"
}

check_tag() {
  [[ "$1" =~ ^[A-Za-z0-9_]{1,32}$ ]] || die "invalid tag '$1' (expected 1 to 32 letters, digits or _)"
}

ns_exists() {
  local names
  names="$(ip netns list | awk '{print $1}')"
  grep -qx -- "$1" <<<"$names"
}

# Sends SIGTERM to every process inside namespace $1, then SIGKILL to those
# still alive after TERM_GRACE_S, by PID only.
end_processes() {
  local ns="$1" pid pids
  pids="$(ip netns pids "$ns" 2>/dev/null || true)"
  [[ -z "$pids" ]] && return 0
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep "$TERM_GRACE_S"
  pids="$(ip netns pids "$ns" 2>/dev/null || true)"
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    [[ -z "$(ip netns pids "$ns" 2>/dev/null || true)" ]] && return 0
    sleep 0.1
  done
  echo "netlab: processes still running in $ns after SIGKILL: $(ip netns pids "$ns" | tr '\n' ' ')" >&2
}

cmd_teardown() {
  local tag="$1" host ns
  check_tag "$tag"
  require_root
  for host in "${HOSTS[@]}"; do
    ns="$tag-$host"
    ns_exists "$ns" || continue
    end_processes "$ns"
    ip netns del "$ns"
  done
}

disable_offload() {
  local ns="$1" dev="$2"
  ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off >/dev/null 2>&1 ||
    die "ethtool -K $dev failed in $ns"
}

cmd_setup() {
  local tag="kapu$$" offload=on arg
  for arg in "$@"; do
    case "$arg" in
      --no-offload) offload=off ;;
      -*) die "unknown option '$arg' (expected --no-offload)" ;;
      *) tag="$arg" ;;
    esac
  done
  check_tag "$tag"
  require_root
  if [[ "$offload" == off ]] && ! command -v ethtool >/dev/null; then
    die "--no-offload needs ethtool (Debian package ethtool)"
  fi

  local host
  for host in "${HOSTS[@]}"; do
    ns_exists "$tag-$host" && die "namespace $tag-$host already exists; run: $0 teardown $tag"
  done
  # Remove whatever part was built if a later step fails.
  trap 'cmd_teardown "$tag"' ERR

  local cli="$tag-cli" ips="$tag-ips" srv="$tag-srv"
  for host in "${HOSTS[@]}"; do
    ip netns add "$tag-$host"
    ip -n "$tag-$host" link set lo up
    # Before the veths exist, or their addresses sit in duplicate address
    # detection and the first IPv6 packets of a run are lost.
    ip netns exec "$tag-$host" sysctl -qw \
      net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
  done

  # Fixed MAC addresses, so a capture from one lab replays unchanged in the next.
  ip link add c0 address 02:00:00:00:01:02 netns "$cli" type veth \
    peer name ic address 02:00:00:00:01:01 netns "$ips"
  ip link add s0 address 02:00:00:00:02:02 netns "$srv" type veth \
    peer name is address 02:00:00:00:02:01 netns "$ips"

  ip -n "$cli" addr add 198.51.100.2/24 dev c0
  ip -n "$cli" addr add 2001:db8:1::2/64 dev c0 nodad
  ip -n "$srv" addr add 203.0.113.2/24 dev s0
  ip -n "$srv" addr add 2001:db8:2::2/64 dev s0 nodad
  ip -n "$ips" addr add 198.51.100.1/24 dev ic
  ip -n "$ips" addr add 2001:db8:1::1/64 dev ic nodad
  ip -n "$ips" addr add 203.0.113.1/24 dev is
  ip -n "$ips" addr add 2001:db8:2::1/64 dev is nodad

  if [[ "$offload" == off ]]; then
    disable_offload "$cli" c0
    disable_offload "$ips" ic
    disable_offload "$ips" is
    disable_offload "$srv" s0
  fi

  ip -n "$cli" link set c0 up
  ip -n "$srv" link set s0 up
  ip -n "$ips" link set ic up
  ip -n "$ips" link set is up
  ip netns exec "$ips" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

  ip -n "$cli" route add default via 198.51.100.1
  ip -n "$cli" -6 route add default via 2001:db8:1::1
  ip -n "$srv" route add default via 203.0.113.1
  ip -n "$srv" -6 route add default via 2001:db8:2::1

  trap - ERR
  echo "$tag"
}

cmd_exec() {
  local tag="$1" host="$2"
  shift 2
  check_tag "$tag"
  case "$host" in
    cli | ips | srv) ;;
    *) die "unknown host '$host' (expected cli, ips or srv)" ;;
  esac
  exec ip netns exec "$tag-$host" "$@"
}

# Captures whole frames on ips:CAPTURE_IF into FILE while CMD runs. The
# capture stops when CMD ends, and at the latest after RECORD_MAX_S.
cmd_record() {
  local tag="$1" file="$2"
  shift 2
  check_tag "$tag"
  require_root
  [[ $# -gt 0 ]] || die "record needs a command to run while capturing"
  ns_exists "$tag-ips" || die "no lab with tag '$tag' (namespace $tag-ips not found)"

  local log
  log="$(mktemp)"
  ip netns exec "$tag-ips" timeout "$RECORD_MAX_S" \
    tcpdump -i "$CAPTURE_IF" -nn -s 0 -U --immediate-mode -Z root -w "$file" 2>"$log" &
  local dump_pid=$!

  # tcpdump prints "listening on" once the socket is bound: wait up to 5 s.
  local i
  for i in $(seq 1 50); do
    grep -q 'listening on' "$log" && break
    kill -0 "$dump_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q 'listening on' "$log"; then
    kill -TERM "$dump_pid" 2>/dev/null || true
    cat "$log" >&2
    rm -f "$log"
    die "tcpdump did not start on $tag-ips:$CAPTURE_IF"
  fi

  local status=0
  "$@" || status=$?

  # Let the last replies arrive, then stop the capture so it flushes.
  sleep 0.5
  kill -INT "$dump_pid" 2>/dev/null || true
  wait "$dump_pid" 2>/dev/null || true
  grep -E 'packets (captured|received|dropped)' "$log" >&2 || true
  rm -f "$log"
  return "$status"
}

cmd_queue_on() {
  local tag="$1" num=0 bypass=(--queue-bypass) arg
  shift
  for arg in "$@"; do
    case "$arg" in
      --no-bypass) bypass=() ;;
      *)
        [[ "$arg" =~ ^[0-9]{1,5}$ && "$arg" -le 65535 ]] || die "invalid queue number '$arg' (expected 0 to 65535)"
        num="$arg"
        ;;
    esac
  done
  check_tag "$tag"
  require_root
  ns_exists "$tag-ips" || die "no lab with tag '$tag' (namespace $tag-ips not found)"
  ip netns exec "$tag-ips" iptables-nft -A FORWARD -j NFQUEUE --queue-num "$num" "${bypass[@]}"
  ip netns exec "$tag-ips" ip6tables-nft -A FORWARD -j NFQUEUE --queue-num "$num" "${bypass[@]}"
}

cmd_queue_off() {
  local tag="$1"
  check_tag "$tag"
  require_root
  ns_exists "$tag-ips" || die "no lab with tag '$tag' (namespace $tag-ips not found)"
  ip netns exec "$tag-ips" iptables-nft -F FORWARD
  ip netns exec "$tag-ips" ip6tables-nft -F FORWARD
}

cmd_list() {
  ip netns list | awk '{print $1}' | sed -n 's/-ips$//p'
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    setup) cmd_setup "$@" ;;
    teardown)
      [[ $# -eq 1 ]] || die "usage: netlab.sh teardown TAG"
      cmd_teardown "$1"
      ;;
    exec)
      [[ $# -ge 3 ]] || die "usage: netlab.sh exec TAG HOST CMD [ARG...]"
      cmd_exec "$@"
      ;;
    record)
      [[ $# -ge 3 ]] || die "usage: netlab.sh record TAG FILE CMD [ARG...]"
      cmd_record "$@"
      ;;
    queue-on)
      [[ $# -ge 1 ]] || die "usage: netlab.sh queue-on TAG [NUM] [--no-bypass]"
      cmd_queue_on "$@"
      ;;
    queue-off)
      [[ $# -eq 1 ]] || die "usage: netlab.sh queue-off TAG"
      cmd_queue_off "$1"
      ;;
    list) cmd_list ;;
    *) die "usage: netlab.sh setup [TAG] [--no-offload] | teardown TAG | exec TAG HOST CMD... | record TAG FILE CMD... | queue-on TAG [NUM] [--no-bypass] | queue-off TAG | list" ;;
  esac
}

main "$@"
