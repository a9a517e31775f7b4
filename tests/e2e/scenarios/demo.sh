# demo: what scripts/demo shows: the kernel, pvcore's event channel IRQs, the PV clockevent
# as the tick device, the console taking a typed command, then power-off through pvcore.
echo "== uname -r: $(uname -r)"
echo "== consoles: $(cat /sys/class/tty/console/active); this shell on $(readlink /proc/self/fd/0)"
echo "== modules:"; cat /proc/modules
echo "== event channel IRQs in /proc/interrupts:"
grep -E 'CPU|pv-|pvisor' /proc/interrupts || echo "(none: pvcore not loaded)"
for ce in /sys/devices/system/clockevents/clockevent*; do
    echo "== $(basename "$ce"): $(cat "$ce/current_device")"
done
echo "== typing a command into the console:"
echo PVTEST-READY
if read -r line; then eval "$line"; fi
echo "== powering off"
result pass
