# net_vm2vm: two guests on one bridge exchange 64 MiB each way over TCP (e2e-net-vm2vm).
#
# Host half: two pvisor runs at once, each `--net tap=pvtapX,bridge=pvbr0,mac=...` with its
# own TAP and MAC (the default MAC derives from the domid, which both guests share), the
# kernel command line carrying pvtest.role=a or pvtest.role=b. Each guest prints its own
# PVTEST-RESULT (name=net_vm2vm); both must pass. No host action is needed.
# a is 10.99.0.2, b is 10.99.0.3. Each receives on 5003 and sends to the peer's 5003; then
# a sends "ok" to b's 5004 once it has verified b's data, and b answers on a's 5004 once it
# has verified a's data and seen a's "ok". A guest that has the peer's answer knows its own
# stream arrived, so neither powers off while its data is still in flight.
# pvtest.net_bytes=16777216 on the kernel command line sends 16 MiB each way instead (what
# pvtest.py asks for on the nested platform, where everything is emulated).
. /scenarios/net_lib.sh
bytes=$(arg net_bytes)
bytes=${bytes:-67108864}
value bytes "$bytes"
want=$(net_expected_sum $bytes)
role=$(arg role)
case $role in
a) me=10.99.0.2 peer=10.99.0.3 ;;
b) me=10.99.0.3 peer=10.99.0.2 ;;
*) fail "pvtest.role must be a or b (got '$role')" ;;
esac
value role "$role"
if=$(net_iface) || fail "no pvnet interface"
net_up "$if" $me/24

# The peer may boot later: wait (bounded) until it answers.
wait_until 120 1 ping -c 1 -W 1 $peer >/dev/null 2>&1 || fail "peer $peer never answered"

net_recv 5003 /tmp/net-rx.sum
net_send $peer 5003 $bytes
net_wait_file /tmp/net-rx.sum 600
got=$(cat /tmp/net-rx.sum)
[ "$got" = "$want" ] || fail "received a different stream from $peer: $got"
value rx_sha256 ok

# The closing handshake on 5004 (see above).
net_recv 5004 /tmp/net-ok.sum
ok_sum=$(echo ok | sha256sum | cut -d' ' -f1)
say_ok() { echo ok | nc $peer 5004; }
send_ok() {
    wait_until 60 1 say_ok || fail "cannot reach $peer:5004"
}
if [ "$role" = a ]; then
    send_ok
    net_wait_file /tmp/net-ok.sum 120
else
    net_wait_file /tmp/net-ok.sum 120
    send_ok
    sleep 2 # a's answer is the last packet; let it leave before powering off
fi
[ "$(cat /tmp/net-ok.sum)" = "$ok_sum" ] || fail "peer's answer garbled"
value peer_done ok
net_check_healthy "$if"
result pass
