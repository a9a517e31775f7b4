# demo: what scripts/demo shows: the kernel, pvcore's event channel IRQs, the PV clockevent
# as the tick device, the store and grant table, a PV disk round trip, pings over the PV
# network interface, the console taking a typed command, then power-off through pvcore.
echo "== uname -r: $(uname -r)"
echo "== consoles: $(cat /sys/class/tty/console/active); this shell on $(readlink /proc/self/fd/0)"
echo "== modules:"; cat /proc/modules
echo "== event channel IRQs in /proc/interrupts:"
grep -E 'CPU|pv-|pvisor' /proc/interrupts || echo "(none: pvcore not loaded)"
for ce in /sys/devices/system/clockevents/clockevent*; do
    echo "== $(basename "$ce"): $(cat "$ce/current_device")"
done
st=/sys/kernel/debug/pvcore/store
if [ -w $st ]; then
    echo "== the config store through pvbus (this guest's home, read by relative path):"
    for key in domid name; do
        echo "read $key" >$st && echo "   $key = $(sed -n 2p $st)"
    done
fi
gt=/sys/kernel/debug/pvcore/grant
if [ -w $gt ]; then
    echo "== the grant table self-test (grant, copy through the grant, end access):"
    echo selftest >$gt && sed 's/^/   /' $gt | head -n 4
fi
. /scenarios/pv_devices_lib.sh
pv_disk_round_trip
pv_net_ping
echo "== typing a command into the console:"
echo PVTEST-READY
if read -r line; then eval "$line"; fi
echo "== powering off"
result pass
