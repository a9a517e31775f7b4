# net_tcp: 256 MiB each way over TCP through pvnet, digests compared at the receiving end
# (e2e-net-tcp).
#
# Host half (pvisor `--net tap=pvtap0,bridge=pvbr0`, pvbr0 = 10.99.0.1/24 in L1), each
# action started in the background, with the generator of net_lib.sh (net_gen):
#   PVTEST-HOST-NET-SINK PORT BYTES PATH   listen on PORT, take one connection, and write
#                                          the sha256 (hex) of what arrived to the guest's
#                                          store at PATH (`pvisor store write`)
#   PVTEST-HOST-NET-SOURCE ADDR PORT BYTES send net_gen BYTES to ADDR:PORT with nc, retrying
#                                          until the connection is accepted
# pvtest.net_bytes=67108864 on the kernel command line sends 64 MiB each way instead (what
# pvtest.py asks for on the nested platform, where everything is emulated).
. /scenarios/net_lib.sh
bytes=$(arg net_bytes)
bytes=${bytes:-268435456}
value bytes "$bytes"
want=$(net_expected_sum $bytes)
if=$(net_iface) || fail "no pvnet interface"
value queues "$(ls /sys/class/net/$if/queues | grep -c '^tx-')"
net_up "$if" 10.99.0.2/24
ping -c 3 -W 2 -w 30 $NET_HOST >/dev/null || fail "host unreachable"
home=$(net_home)
[ "$home" != /local/domain/ ] || fail "no store (domid unreadable)"

# Guest -> host: the host's digest comes back through the store.
echo "PVTEST-HOST-NET-SINK 5001 $bytes $home/data/net-sink"
t0=$(net_now)
net_send $NET_HOST 5001 $bytes
sink_digest() { got=$(net_store_read data/net-sink) && [ -n "$got" ]; }
wait_until 300 1 sink_digest || fail "no digest from the host sink (host half missing?)"
t1=$(net_now)
[ "$got" = "$want" ] || fail "host received a different stream: $got"
value tx_sha256 ok
value tx_mbps "$(net_mbps $bytes "$t0" "$t1")"

# Host -> guest: our own listener digests what arrives.
net_recv 5002 /tmp/net-rx.sum
t0=$(net_now)
echo "PVTEST-HOST-NET-SOURCE 10.99.0.2 5002 $bytes"
net_wait_file /tmp/net-rx.sum 900
t1=$(net_now)
got=$(cat /tmp/net-rx.sum)
[ "$got" = "$want" ] || fail "guest received a different stream: $got"
value rx_sha256 ok
value rx_mbps "$(net_mbps $bytes "$t0" "$t1")"

s=/sys/class/net/$if/statistics
[ "$(cat $s/rx_bytes)" -ge $bytes ] || fail "rx_bytes $(cat $s/rx_bytes) < $bytes"
[ "$(cat $s/tx_bytes)" -ge $bytes ] || fail "tx_bytes $(cat $s/tx_bytes) < $bytes"
net_check_healthy "$if"
result pass
