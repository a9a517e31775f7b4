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
# The PV disk (pvisor run --disk; absent under the QEMU reference run): 4 MiB through its
# rings with direct I/O, compared.
[ -z "$(ls /modules/*pvblk.ko 2>/dev/null)" ] || wait_until 100 0.1 test -b /dev/xvda
if [ -b /dev/xvda ]; then
    echo "== PV disk xvda: $(($(cat /sys/block/xvda/size) / 2048)) MiB," \
        "$(ls /sys/block/xvda/mq | wc -l) queue(s), store node $(cat /sys/block/xvda/device/nodename 2>/dev/null)"
    dd if=/dev/urandom of=/tmp/blk bs=1M count=4 2>/dev/null
    dd if=/tmp/blk of=/dev/xvda bs=1M oflag=direct 2>/dev/null
    put=$(sha256sum </tmp/blk | cut -c1-16)
    got=$(dd if=/dev/xvda bs=1M count=4 iflag=direct 2>/dev/null | sha256sum | cut -c1-16)
    echo "   4 MiB written and read back: sha256 $put... / $got..."
    [ "$put" = "$got" ] && value blk_round_trip ok || value blk_round_trip mismatch
fi
# The PV network interface (pvisor run --net tap=pvtap0,bridge=pvbr0; the host's bridge
# has 10.99.0.1): pvnet's interface up, then three pings to the host.
if [ -n "$(ls /modules/*pvnet.ko 2>/dev/null)" ]; then
    . /scenarios/net_lib.sh
    if if=$(net_iface); then
        net_up "$if" 10.99.0.2/24
        echo "== PV network interface $if ($(cat /sys/class/net/$if/address)," \
            "$(ls /sys/class/net/$if/queues | grep -c '^tx-') queue(s)), 10.99.0.2 -> host 10.99.0.1:"
        out=$(ping -c 3 -W 2 -w 30 10.99.0.1)
        echo "$out" | sed -n '/statistics/,$p' | sed 's/^/   /'
        echo "$out" | grep -q " 3 packets received" && value net_ping ok || value net_ping lost
    fi
fi
echo "== typing a command into the console:"
echo PVTEST-READY
if read -r line; then eval "$line"; fi
echo "== powering off"
result pass
