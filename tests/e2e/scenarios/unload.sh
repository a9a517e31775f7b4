# unload: pvcore leaves cleanly and comes back (e2e-unload).
#
# rmmod hands every CPU's tick back to the local APIC timer and takes its interrupts with
# it; a second insmod brings the PV devices back, its ping-pong runs, and the reloaded
# pvcore powers the guest off (pvisor's exit status 0 is the host's check).
ticks() {
    cat /sys/devices/system/clockevents/clockevent[0-9]*/current_device | tr '\n' , |
        sed 's/,$//'
}
pvirqs() { grep -c ' pv-' /proc/interrupts; }
value ticks_loaded "$(ticks)"
# hvc0 is pvcore's: the shell talks through the UART while pvcore is away.
exec </dev/null >/dev/ttyS0 2>&1
rmmod pvcore || fail "rmmod pvcore: $(dmesg | grep pvcore | tail -n 2 | tr '\n' ' ')"
value ticks_unloaded "$(ticks)"
value pv_irqs_unloaded "$(pvirqs)"
grep -q '^pvcore ' /proc/modules && fail "pvcore still listed"
# shellcheck disable=SC2046 # the command line's pvcore.PARAM words, as at boot
insmod /modules/*-pvcore.ko $(module_args pvcore) || fail "insmod after rmmod"
exec </dev/hvc0 >/dev/hvc0 2>&1
value ticks_reloaded "$(ticks)"
pp=/sys/kernel/debug/pvcore/pingpong
echo 1000 >$pp || fail "pingpong write"
res=$(cat $pp)
value pingpong "$(echo "$res" | tr ' ' ,)"
case "$res" in
    "pingpong 1000/1000 ok"*) ;;
    *) fail "pingpong after reload: $res" ;;
esac
result pass
