# evtchn: the PV timer (VIRQ_TIMER) and IPI event channels count events in /proc/interrupts,
# and 10,000 ping-pongs between vCPU 0 and vCPU 1 lose none (pvcore's debugfs self-test).
count() { awk -v n="$1" '$NF == n { s = 0; for (i = 2; i < NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s; exit }' /proc/interrupts; }
t0=$(count pv-timer0)
sleep 1
t1=$(count pv-timer0)
value timer0_delta "$((${t1:-0} - ${t0:-0}))"
[ -n "$t0" ] && [ "$t1" -gt "$t0" ] || fail "pv-timer0 not counting ($t0 -> $t1)"

pp=/sys/kernel/debug/pvcore/pingpong
[ -w $pp ] || fail "no $pp"
echo 10000 >$pp || fail "pingpong write"
res=$(cat $pp)
value pingpong "$(echo "$res" | tr ' ' ,)"
i0=$(count pv-ipi0)
i1=$(count pv-ipi1)
value ipi_counts "${i0:-0},${i1:-0}"
case "$res" in
    "pingpong 10000/10000 ok"*) ;;
    *) fail "pingpong: $res" ;;
esac
[ "${i0:-0}" -ge 10000 ] && [ "${i1:-0}" -ge 10000 ] || fail "ipi counts $i0/$i1"
result pass
