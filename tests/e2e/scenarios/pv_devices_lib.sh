# pv_devices_lib.sh: the PV disk and PV network checks demo.sh and acpi.sh share (sourced,
# not a scenario of its own). Each reports a PVTEST-VALUE when its device is present.

# The PV disk (pvisor run --disk; absent under the QEMU reference run): 4 MiB through its
# rings with direct I/O, compared: blk_round_trip=ok.
pv_disk_round_trip() {
    [ -z "$(ls /modules/*pvblk.ko 2>/dev/null)" ] || wait_until 100 0.1 test -b /dev/xvda
    [ -b /dev/xvda ] || return 0
    echo "== PV disk xvda: $(($(cat /sys/block/xvda/size) / 2048)) MiB," \
        "$(ls /sys/block/xvda/mq | wc -l) queue(s), store node $(cat /sys/block/xvda/device/nodename 2>/dev/null)"
    dd if=/dev/urandom of=/tmp/blk bs=1M count=4 2>/dev/null
    dd if=/tmp/blk of=/dev/xvda bs=1M oflag=direct 2>/dev/null
    put=$(sha256sum </tmp/blk | cut -c1-16)
    got=$(dd if=/dev/xvda bs=1M count=4 iflag=direct 2>/dev/null | sha256sum | cut -c1-16)
    echo "   4 MiB written and read back: sha256 $put... / $got..."
    [ "$put" = "$got" ] && value blk_round_trip ok || value blk_round_trip mismatch
}

# The PV network interface (pvisor run --net tap=pvtap0,bridge=pvbr0; the host's bridge
# has 10.99.0.1): pvnet's interface up, then three pings to the host: net_ping=ok.
pv_net_ping() {
    [ -n "$(ls /modules/*pvnet.ko 2>/dev/null)" ] || return 0
    . /scenarios/net_lib.sh
    if=$(net_iface) || return 0
    net_up "$if" 10.99.0.2/24
    echo "== PV network interface $if ($(cat /sys/class/net/$if/address)," \
        "$(ls /sys/class/net/$if/queues | grep -c '^tx-') queue(s)), 10.99.0.2 -> host 10.99.0.1:"
    out=$(ping -c 3 -W 2 -w 30 10.99.0.1)
    echo "$out" | sed -n '/statistics/,$p' | sed 's/^/   /'
    echo "$out" | grep -q " 3 packets received" && value net_ping ok || value net_ping lost
}
