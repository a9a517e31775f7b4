#!/bin/sh
# toolstack-host.sh: the host half of a toolstack scenario (scenarios/ts_*.host.sh): runs it
# with the helpers of scenarios/ts_lib.sh against the toolstack service (`pvisor daemon`,
# started by the first pvisor command). Every domain's console (its VMM's log) and backend
# logs are streamed as they grow, a line each, prefixed [domN] (PVTEST- lines unprefixed:
# the runner reads them); at the end come each domain's exit record and counters, the
# service's log, and the service is stopped.
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

# follow: a tail -f per log file as it appears, until the scenario ends.
follow() {
    seen=" "
    while :; do
        for log in "$PVISOR_RUN_DIR"/pvisord.log "$PVISOR_RUN_DIR"/dom/*/vmm.log \
            "$PVISOR_RUN_DIR"/dom/*/*back.log; do
            [ -f "$log" ] || continue
            case $seen in *" $log "*) continue ;; esac
            seen="$seen$log "
            d=${log%/*}
            tag="dom${d##*/}"
            case $log in
            *back.log) tag="$tag ${log##*/}" ;;
            */pvisord.log) tag=pvisord ;;
            esac
            tail -n +1 -f "$log" 2>/dev/null |
                awk -v t="[$tag] " '{ sub(/\r$/, ""); if ($0 ~ /^PVTEST-/) print; else print t $0; fflush() }' &
        done
        sleep 1
    done
}
follow &
follower=$!
(. "$here/scenarios/ts_lib.sh"
 . "$here/scenarios/$scenario.host.sh")
echo "PVTEST-TS-HOST-END"
sleep 2 # the last lines of the logs
kill $follower 2>/dev/null
for pid in $(pgrep -f "tail -n +1 -f $PVISOR_RUN_DIR" 2>/dev/null); do kill "$pid" 2>/dev/null; done
for dir in "$PVISOR_RUN_DIR"/dom/*; do
    [ -d "$dir" ] || continue
    [ -f "$dir/exit" ] && echo "PVTEST-TS-EXIT dom=${dir##*/} $(cat "$dir/exit")"
    [ -f "$dir/metrics" ] && sed "s/^\([^ ]*\) \(.*\)$/PVTEST-METRIC \1=\2/" "$dir/metrics"
done
pid=$(cat "$PVISOR_RUN_DIR/pvisord.lock" 2>/dev/null)
[ -n "$pid" ] && kill "$pid" 2>/dev/null
