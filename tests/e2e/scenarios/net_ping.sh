# net_ping: guest <-> host ping over the pvnet interface (e2e-net-ping).
#
# Host half (pvisor run with `--net tap=pvtap0,bridge=pvbr0`, pvbr0 = 10.99.0.1/24 in L1):
#   PVTEST-HOST-NET-PING ADDR COUNT   run `ping -c COUNT ADDR` on the host (L1), whose echo
#                                     requests the guest counts (Icmp InEchos).
# Also checks the MTU bounds pvnet derives from the backend's feature-sg.
. /scenarios/net_lib.sh
if=$(net_iface) || fail "no pvnet interface"
value iface "$if"
value mac "$(cat /sys/class/net/$if/address)"
value queues "$(ls /sys/class/net/$if/queues | grep -c '^tx-')"
net_up "$if" 10.99.0.2/24

# Guest -> host: every echo answered (the first may wait for ARP).
out=$(ping -c 20 -W 2 -w 40 $NET_HOST)
echo "$out" | grep -q " 20 packets received" || fail "ping host: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
# Large echoes: 8000-byte payloads leave as IP fragments and come back reassembled.
out=$(ping -c 5 -s 8000 -W 2 -w 30 $NET_HOST)
echo "$out" | grep -q " 5 packets received" || fail "ping -s 8000: $(echo "$out" | tail -n 1)"
value guest_to_host ok

# Host -> guest: the host pings us; our ICMP counters see its echo requests.
in_echos() { awk '/^Icmp: [0-9]/ { print $10 }' /proc/net/snmp; }
before=$(in_echos)
echo "PVTEST-HOST-NET-PING 10.99.0.2 10"
echoed() { [ $(($(in_echos) - before)) -ge "$1" ]; }
wait_until 60 1 echoed 10 ||
    fail "host pinged us $(($(in_echos) - before)) times of 10 (host half missing?)"
value host_to_guest ok

# MTU: up to 65535 - 14 (slot 0's 16-bit size holds the whole frame) with feature-sg.
ip link set "$if" mtu 9000 || fail "mtu 9000 refused"
ip link set "$if" mtu 65521 || fail "mtu 65521 refused"
ip link set "$if" mtu 65522 2>/dev/null && fail "mtu 65522 accepted"
ip link set "$if" mtu 1500 || fail "mtu 1500 refused"
ping -c 3 -W 2 -w 20 $NET_HOST >/dev/null || fail "ping after the MTU changes"
value mtu ok

net_check_healthy "$if"
result pass
