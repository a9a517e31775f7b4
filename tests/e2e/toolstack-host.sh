#!/bin/sh
# toolstack-host.sh: the host half of a toolstack scenario (scenarios/ts_*.host.sh): runs it
# with the helpers of scenarios/ts_lib.sh against the toolstack service (`pvisor daemon`,
# started by the first pvisor command), then prints what the runner checks: every domain's
# console (its VMM's log), exit record and counters, and stops the service.
# Runs inside the L1 machine (nested) or on the host in a private network namespace with its
# own PVISOR_RUN_DIR (direct).
#
# usage: toolstack-host.sh SCENARIO PVISOR_BINARY KERNEL INITRD
set -u
scenario=$1
export PVTEST_PVISOR=$2 PVTEST_KERNEL=$3 PVTEST_INITRD=$4
export PVISOR_RUN_DIR=${PVISOR_RUN_DIR:-/run/pvisor}
here=$(dirname "$0")
ip link set lo up 2>/dev/null
# The bridge the scenarios' vifs join, with the host's address on it.
if ip link add pvbr0 type bridge 2>/dev/null; then
    ip addr add 10.99.0.1/24 dev pvbr0 && ip link set pvbr0 up
fi
(. "$here/scenarios/ts_lib.sh"
 . "$here/scenarios/$scenario.host.sh")
echo "PVTEST-TS-HOST-END"
for dir in "$PVISOR_RUN_DIR"/dom/*; do
    [ -d "$dir" ] || continue
    id=${dir##*/}
    # The console, a line per write so that runs never interleave mid-line.
    [ -f "$dir/vmm.log" ] && sed "s/^/[dom$id] /" "$dir/vmm.log" | sed 's/^\[dom[0-9]*\] \(PVTEST-\)/\1/'
    [ -f "$dir/exit" ] && echo "PVTEST-TS-EXIT dom=$id $(cat "$dir/exit")"
    [ -f "$dir/metrics" ] && sed "s/^\([^ ]*\) \(.*\)$/PVTEST-METRIC \1=\2/" "$dir/metrics"
    for log in "$dir"/*back.log; do
        [ -f "$log" ] && sed "s/^/[dom$id ${log##*/}] /" "$log"
    done
done
[ -f "$PVISOR_RUN_DIR/pvisord.log" ] && sed 's/^/[pvisord] /' "$PVISOR_RUN_DIR/pvisord.log"
pid=$(cat "$PVISOR_RUN_DIR/pvisord.lock" 2>/dev/null)
[ -n "$pid" ] && kill "$pid" 2>/dev/null
