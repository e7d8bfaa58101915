#!/usr/bin/env bash
# bench/network.sh: CPU of one network check run over the host and NS_COUNT (10) network
# namespaces, each with a veth pair to the host, against the kept-open floor and open-per-read,
# in one run (bench/network_bench). Needs root; removes every namespace and link it made, also
# when interrupted.
#
# usage: bench/network.sh [ITER]      env: NS_COUNT (10)  BENCH (bench/network_bench)
#        CHILD_EHASH=N: make the namespaces with net.ipv4.tcp_child_ehash_entries=N (their own
#        TCP hash table, so a sock_diag dump walks N buckets, not the host's), restored after
set -euo pipefail

NS_COUNT=${NS_COUNT:-10}
ITER=${1:-500}
BENCH=${BENCH:-$(dirname "$0")/network_bench}
PREFIX=tlybench$$
names=()
old_ehash=

cleanup() {
	if [ -n "$old_ehash" ]; then sysctl -qw net.ipv4.tcp_child_ehash_entries="$old_ehash"; fi
	for n in "${names[@]}"; do
		ip link del "${n}h" 2>/dev/null || true
		ip netns del "$n" 2>/dev/null || true
	done
}
trap cleanup EXIT INT TERM

if [ -n "${CHILD_EHASH:-}" ]; then
	old_ehash=$(sysctl -n net.ipv4.tcp_child_ehash_entries)
	sysctl -qw net.ipv4.tcp_child_ehash_entries="$CHILD_EHASH"
fi

for i in $(seq 1 "$NS_COUNT"); do
	n=${PREFIX:0:10}$i
	names+=("$n")
	ip netns add "$n"
	ip link add "${n}h" type veth peer name eth0 netns "$n"
	ip -n "$n" link set lo up
	ip -n "$n" link set eth0 up
	ip link set "${n}h" up
done
"$BENCH" -n "$ITER" "${names[@]}"
