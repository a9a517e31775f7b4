# net_lib.sh: helpers the net_* scenarios source (not a scenario of its own).
#
# Network of every net scenario (nothing leaves the emulated L1 machine): pvisor runs with
# `--net tap=pvtap0,bridge=pvbr0` (vm2vm: one TAP per guest, distinct mac=), the L1 side has
# the bridge pvbr0 with 10.99.0.1/24; guests use 10.99.0.2 (and 10.99.0.3 for vm2vm's b).
#
# Host half, for run-l2.sh/pvtest.py (not in place yet; why e2e-net-* are e2e-pending):
#   L1 modules: tun, llc, stp, bridge (kernel/drivers/net/tun.ko, kernel/net/llc/llc.ko,
#     kernel/net/802/stp.ko, kernel/net/bridge/bridge.ko; the guest-kernel cache's modules/
#     tree holds only the KVM ones today, root/lib/modules has them).
#   Before pvisor: brctl addbr pvbr0; ip addr add 10.99.0.1/24 dev pvbr0; ip link set pvbr0 up
#   pvisor run ... --net tap=pvtap0,bridge=pvbr0 (pvisor creates the TAP and enslaves it).
#   pvtest.py: SCENARIOS entries net_ping, net_tcp, net_vm2vm (1-2 vCPUs; 2 for multi-queue).
#   The PVTEST-HOST-NET-* actions of net_ping.sh and net_tcp.sh, started in the background.
#   vm2vm: two run-l2.sh-style launches at once (pvtapA/pvtapB, mac=02:00:00:00:00:0a/0b,
#     cmdline pvtest.role=a/b); check() then expects two PVTEST-RESULT lines, both pass.
#
# Test data: NET_SEED_LEN bytes of `seq 1 200000` repeated and cut to the length (a prime
# period, so a lost, doubled or reordered TCP segment changes the digest). Digests of the
# lengths used, computed with the busybox that pvtest.py packs (also the L1 host's):
#   268435456 (256 MiB) bac1c19903fe16ecf250892bb49c88a948a7a528218f6973f3c7b2c326b486ce
#   67108864  (64 MiB)  10288c91b8fab893babbaf13cad5e4af7fac195e1daae26d15b3bb9663f66a56
#   16777216  (16 MiB)  b72224397abe9ff4631514f55015d5c5fa40fa277bc7cba334bbbd2628adc869
NET_HOST=10.99.0.1
NET_SEED=/tmp/net-seed
NET_SEED_LEN=1048573

# The interface pvnet registered (bound to the pvbus "vif" device); waits up to 20 s.
net_iface() {
    n=0
    while :; do
        for i in /sys/class/net/*; do
            case $(readlink "$i/device/driver" 2>/dev/null) in
            */pvnet) basename "$i"; return 0 ;;
            esac
        done
        n=$((n + 1))
        [ $n -lt 100 ] || return 1
        sleep 0.2
    done
}

# net_up IFACE ADDR/PREFIX: address, link up, carrier within 30 s (the backend Connected).
net_up() {
    ip addr add "$2" dev "$1" || fail "ip addr add $2 dev $1"
    ip link set "$1" up || fail "ip link set $1 up"
    wait_until 150 0.2 output_is 1 cat "/sys/class/net/$1/carrier" ||
        fail "no carrier on $1 (backend never Connected?)"
}

# net_gen BYTES: the deterministic test stream on stdout.
net_gen() {
    [ -s $NET_SEED ] || seq 1 200000 | head -c $NET_SEED_LEN >$NET_SEED
    i=0
    while [ $i -le $(($1 / NET_SEED_LEN)) ]; do
        cat $NET_SEED
        i=$((i + 1))
    done | head -c "$1"
}

net_expected_sum() {
    case $1 in
    268435456) echo bac1c19903fe16ecf250892bb49c88a948a7a528218f6973f3c7b2c326b486ce ;;
    67108864) echo 10288c91b8fab893babbaf13cad5e4af7fac195e1daae26d15b3bb9663f66a56 ;;
    16777216) echo b72224397abe9ff4631514f55015d5c5fa40fa277bc7cba334bbbd2628adc869 ;;
    *) echo "no digest for $1 bytes" ;;
    esac
}

# net_recv PORT OUT: accepts one connection in the background; its data's sha256 goes to
# OUT when the peer closes. busybox nc quits at EOF on its stdin, so it reads a FIFO that
# this shell keeps open and never writes.
net_recv() {
    [ -p /tmp/net-hold ] || mkfifo /tmp/net-hold
    exec 4<>/tmp/net-hold
    rm -f "$2"
    (nc -l -p "$1" <&4 | sha256sum | cut -d' ' -f1 >"$2.tmp" && mv "$2.tmp" "$2") &
}

# net_wait_file FILE SECONDS: waits for FILE to appear; fails after SECONDS.
net_wait_file() {
    wait_until $(($2 + 1)) 1 test -s "$1" || fail "timeout waiting for $1"
}

# net_send ADDR PORT BYTES: sends the test stream, retrying while nobody listens (60 s).
net_send_once() { net_gen "$3" | nc "$1" "$2"; }
net_send() {
    wait_until 60 1 net_send_once "$@" || fail "cannot send to $1:$2"
}

# Seconds since boot, with hundredths (for throughput figures).
net_now() { cut -d' ' -f1 /proc/uptime; }
# net_mbps BYTES START END: Mbit/s.
net_mbps() { echo "$1 $2 $3" | awk '{ d = $3 - $2; if (d <= 0) d = 0.01; printf "%.0f", $1 * 8 / d / 1e6 }'; }

# Fails if pvnet logged a protocol violation (a broken queue) or its counters are silent.
net_check_healthy() {
    dmesg | grep -q "backend broke the protocol" && fail "pvnet: $(dmesg | grep 'broke the protocol' | head -n 1)"
    s=/sys/class/net/$1/statistics
    [ "$(cat $s/rx_packets)" -gt 0 ] || fail "rx_packets 0"
    [ "$(cat $s/tx_packets)" -gt 0 ] || fail "tx_packets 0"
    value rx_dropped "$(cat $s/rx_dropped)"
    value tx_errors "$(cat $s/tx_errors)"
}

# The PV store through pvcore's debugfs file (see store.sh): the guest's home, and reads.
NET_STORE=/sys/kernel/debug/pvcore/store
net_store() { echo "$1" >$NET_STORE 2>/dev/null && cat $NET_STORE || echo "ERR write"; }
net_store_read() {
    res=$(net_store "read $1")
    [ "$(echo "$res" | head -n 1)" = OK ] && echo "$res" | sed -n 2p
}
net_home() { echo "/local/domain/$(net_store_read domid)"; }
