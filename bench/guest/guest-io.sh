# guest-io.sh: the guest half of guest-io-bench, sourced by tests/e2e/l2-init.sh as scenario
# "guestio" (result, fail, arg come from there). Runs fio on the disk and iperf3 against the
# L1 host, and prints everything the host side needs as PVTEST-GIO-* lines:
#   PVTEST-GIO-SNAP TAG        asks the host to snapshot KVM's counters; the host answers
#                              with one console line, so the snapshot brackets the run exactly
#   PVTEST-GIO-IRQ TAG NAME=N ...  interrupts taken during the run, per /proc/interrupts line
#   PVTEST-GIO-DEV TAG-0|1 ...     the device's own counters before and after the run (block
#                                  stat / netdev packets)
#   PVTEST-GIO-OUT TAG LINE        the tool's output (fio terse fields, iperf3's JSON summary)
# Every console byte is a slow exit on the nested platform, so the lines are kept short.
#   PVTEST-GIO-DONE TAG rc=N
# Kernel command line: pvtest.gio_dev=blk,net  pvtest.gio_secs=N  (set by the host side).
# shellcheck disable=SC2154 # vmm: set by l2-init.sh, which sources this file
secs=$(arg gio_secs)
devs=$(arg gio_dev)
host_ip=10.77.0.1
guest_ip=10.77.0.2

# The stock drivers for QEMU's devices, then (pvisor only, after pvcore) the PV frontends.
load_list() {
    [ -f "$1" ] || return 0
    for ko in $(cat "$1"); do
        # shellcheck disable=SC2046 # MODULE.PARAM=VALUE words of the command line
        insmod "/gio/modules/$ko" $(module_args "${ko%.ko}") ||
            echo "PVTEST-GIO-WARN insmod $ko failed"
    done
}
load_list /gio/stock.list
[ "$vmm" = pvisor ] && load_list /gio/pv.list

# first_entry DIR GLOB...: waits up to 20 s for the first entry of DIR that matches one of the
# globs (drivers probe asynchronously) and prints its name.
first_entry() {
    dir=$1
    shift
    i=0
    while [ $i -lt 40 ]; do
        for glob in "$@"; do
            for e in "$dir"/$glob; do
                [ -e "$e" ] && { basename "$e"; return 0; }
            done
        done
        sleep 0.5
        i=$((i + 1))
    done
    return 1
}

snap() {
    echo "PVTEST-GIO-SNAP $1"
    # The host answers with an empty line once it has read KVM's counters.
    read -r -t 120 _ || echo "PVTEST-GIO-NOACK $1"
}

dev_stats() {
    case $kind in
    blk) echo "PVTEST-GIO-DEV $1 $(cat "/sys/block/$disk/stat")" ;;
    net) echo "PVTEST-GIO-DEV $1 rx=$(cat "/sys/class/net/$nic/statistics/rx_packets")" \
        "tx=$(cat "/sys/class/net/$nic/statistics/tx_packets")" ;;
    esac
}

# "IRQ COUNT NAME" per numbered line of /proc/interrupts, COUNT summed over the CPUs.
irq_counts() {
    awk 'NR == 1 { ncpu = NF; next }
        $1 ~ /^[0-9]+:$/ {
            n = 0; for (i = 2; i <= ncpu + 1; i++) n += $i
            name = ""; for (i = ncpu + 4; i <= NF; i++) name = name $i
            print $1, n, name }' /proc/interrupts
}

# measure KIND TAG COMMAND...: one bracketed run; what it printed comes after the bracket.
measure() {
    kind=$1 tag=$2
    shift 2
    dev_stats "$tag-0"
    irq_counts >/tmp/irq.0
    snap "$tag-0"
    "$@" >/tmp/gio.out 2>&1
    rc=$?
    snap "$tag-1"
    irq_counts >/tmp/irq.1
    dev_stats "$tag-1"
    echo "PVTEST-GIO-IRQ $tag$(awk 'NR == FNR { before[$1] = $2; next }
        $2 > before[$1] { printf " %s=%d", ($3 == "" ? $1 : $3), $2 - before[$1] }' \
        /tmp/irq.0 /tmp/irq.1)"
    sed "s/^/PVTEST-GIO-OUT $tag /" /tmp/gio.out
    echo "PVTEST-GIO-DONE $tag rc=$rc"
}

# iperf3 -J, printed as its summary object on one line (whitespace dropped; "end" holds
# "streams" only at the top level), then its error message if it failed.
iperf() {
    iperf3 -c "$host_ip" -t "$secs" -i 0 -J "$@" >/tmp/iperf.json
    rc=$?
    tr -d ' \t\n' </tmp/iperf.json >/tmp/iperf.line
    sed -n 's/^.*"end":{"streams"/{"streams"/p' /tmp/iperf.line
    echo
    grep -o '"error":"[^"]*"' /tmp/iperf.line
    return $rc
}

run_blk() {
    disk=$(first_entry /sys/block 'vd*' 'sd*' 'xvd*' 'pvblk*') || { echo "PVTEST-GIO-SKIP blk no-disk"; return; }
    echo "PVTEST-GIO-DISK $disk $(cat "/sys/block/$disk/size")"
    for rw in randread randwrite; do
        for qd in 1 32; do
            # Terse fields: name;error;read KiB;KiB/s;IOPS;ms;lat us;write KiB;KiB/s;IOPS;ms;lat us
            measure blk "blk-$rw-qd$qd" sh -c "fio --name=$rw-qd$qd --filename=/dev/$disk \
                --rw=$rw --bs=4k --iodepth=$qd --ioengine=libaio --direct=1 --thread \
                --runtime=$secs --time_based --randrepeat=0 --norandommap \
                --output-format=terse --terse-version=3 | cut -d';' -f3,5-9,40,47-50,81"
        done
    done
}

run_net() {
    nic=$(first_entry /sys/class/net 'eth*' 'en*' 'pv*' 'xn*') || { echo "PVTEST-GIO-SKIP net no-nic"; return; }
    ip addr add "$guest_ip/24" dev "$nic"
    ip link set "$nic" up
    i=0
    until ping -c 1 -W 1 "$host_ip" >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt 20 ] || { echo "PVTEST-GIO-SKIP net no-ping"; return; }
    done
    echo "PVTEST-GIO-NIC $nic"
    measure net net-tcp-tx iperf
    measure net net-tcp-rx iperf -R
    measure net net-udp64 iperf -u -l 64 -b 0
}

for d in $(echo "$devs" | tr , ' '); do
    case $d in
    blk) run_blk ;;
    net) run_net ;;
    esac
done
result pass
