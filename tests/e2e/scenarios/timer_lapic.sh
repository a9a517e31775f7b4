# timer_lapic: pvcore loaded with timer=lapic (from pvcore.timer=lapic on the command line):
# every CPU keeps the local APIC timer as its tick device, time goes on (a 1 s sleep ends),
# and the rest is PV: an event channel ping-pong through pvcore's self-test and the console.
value timer_param "$(cat /sys/module/pvcore/parameters/timer)"
value tick_device "$(cat /sys/devices/system/clockevents/clockevent[0-9]*/current_device | tr '\n' , | sed 's/,$//')"
t0=$(cut -d' ' -f1 /proc/uptime)
sleep 1
t1=$(cut -d' ' -f1 /proc/uptime)
value sleep_ok "$(awk -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; print (d >= 0.9 && d < 5) ? "ok" : d }')"
count() { awk -v n="$1" '$NF == n { s = 0; for (i = 2; i < NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s; exit }' /proc/interrupts; }
pp=/sys/kernel/debug/pvcore/pingpong
[ -w $pp ] || fail "no $pp"
echo 1000 >$pp || fail "pingpong write"
res=$(cat $pp)
case "$res" in
    "pingpong 1000/1000 ok"*) value events ok ;;
    *) value events "$(echo "$res" | tr ' ' ,)" ;;
esac
[ -z "$(count pv-timer0)" ] || fail "pv-timer0 is bound with timer=lapic"
result pass
