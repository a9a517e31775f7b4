#!/bin/sh
# net-host.sh: the host half of the net_* scenarios (see scenarios/net_lib.sh). Creates the
# bridge pvbr0 with 10.99.0.1/24, then starts run-l2.sh once per line "ROLE NETSPEC" of RUNS,
# all at once, and waits for them: each run's pvisor gets --net NETSPEC (its TAP joins
# pvbr0) and its guest pvtest.role=ROLE ("-": none). Runs inside the L1 machine (nested;
# l1-init.sh loaded tun and bridge) or in a private network namespace (direct platform).
# Each run's output goes out a line per write, so the lines of two guests never mix.
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
while read -r role spec; do
    [ "$role" = - ] && role=
    PVTEST_NET=$spec PVTEST_ROLE=$role sh "$here/run-l2.sh" "$@" </dev/null |
        awk '{ print; fflush() }' &
done <"$runs"
wait
