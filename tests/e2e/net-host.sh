#!/bin/sh
# net-host.sh: the host half of the net_* scenarios (see scenarios/net_lib.sh). Creates the
# bridge pvbr0 with 10.99.0.1/24, then starts run-l2.sh once per line "NETSPEC [ARG...]" of
# RUNS, all at once, and waits for them: each run's pvisor gets --net NETSPEC (its TAP joins
# pvbr0) and its guest the ARGs on its kernel command line (pvtest.role=a, ...). Runs inside
# the L1 machine (nested;
# l1-init.sh loaded tun and bridge) or in a private network namespace (direct platform).
# Each run's output goes out a line per write, so the lines of two guests never mix. A
# guest that printed nothing after 240 s, or still runs 90 s after another ended, is stopped
# (run-l2.sh: PVTEST_INIT_TIMEOUT, PVTEST_PEER_END): its peer would wait for it in vain.
#
# usage: net-host.sh RUNS qemu|pvisor VMM_BINARY KERNEL INITRD SCENARIO VCPUS [INPUT_FILE]
set -u
runs=$1
shift
here=$(dirname "$0")
ip link set lo up
if ! { ip link add pvbr0 type bridge && ip addr add 10.99.0.1/24 dev pvbr0 &&
    ip link set pvbr0 up; }; then
    echo "PVTEST-HOST-ACTION-FAILED bridge pvbr0 10.99.0.1/24"
fi
ended=$(mktemp -u)
while read -r spec args; do
    { PVTEST_NET=$spec PVTEST_L2_ARGS=$args PVTEST_INIT_TIMEOUT=240 PVTEST_PEER_END=$ended \
        sh "$here/run-l2.sh" "$@" </dev/null
        touch "$ended"; } | awk '{ print; fflush() }' &
done <"$runs"
wait
rm -f "$ended"
