# ts_backend_supervised: kill -9 a domain's block backend in the middle of a write stream
# (e2e-backend-supervised). The toolstack sees it die and starts it again, the guest's pvblk
# reconnects and sends again what was in flight, and every block the guest had flushed
# before, during and after is on the image afterwards (scenarios/ts_stream.sh writes them).
dd if=/dev/zero of=/tmp/sup.img bs=1M count=64 2>/dev/null
cfg=$(ts_cfg ts-sup "disk = [ 'format=raw,vdev=xvda,access=rw,target=/tmp/sup.img' ]")
"$P" create "$cfg" || ts_fail "create"
id=$(ts_agent ts-sup) || id=none
# The pid of its pvisor-blkback, from `pvisor list -l` (JSON: backends.vbd.pid, after the
# backend's counters object).
bpid() {
    "$P" list -l ts-sup | tr -d ' \n' |
        sed -n 's/.*"vbd":{"counters":{[^}]*},"given_up":[a-z]*,"pid":\([0-9]*\).*/\1/p'
}
flushed() { ts_run "$id" 'cat /tmp/flushed 2>/dev/null || echo 0'; }
ts_run "$id" 'wait_until 60 0.5 test -b /dev/xvda && (sh /scenarios/ts_stream.sh xvda 48 >/dev/null 2>&1 &) && echo started' >/dev/null ||
    ts_fail "no stream"
# A quarter of the way in (48 batches of 256 blocks), kill -9 the backend.
n=0
until [ "$(flushed)" -ge 3072 ] 2>/dev/null || [ $n -ge 300 ]; do sleep 1; n=$((n + 1)); done
value stream_running "$(ts_run "$id" 'cat /tmp/stream 2>/dev/null || echo running')"
old=$(bpid)
kill -9 "$old" || ts_fail "no pvisor-blkback to kill"
value killed "$([ -n "$old" ] && echo ok)"
restarted() {
    p=$(bpid)
    [ -n "$p" ] && [ "$p" != "$old" ]
}
ts_wait 60 1 restarted && value restarted ok || value restarted no
n=0
until [ "$(ts_run "$id" 'cat /tmp/stream 2>/dev/null')" = done ] || [ $n -ge 600 ]; do
    sleep 1
    n=$((n + 1))
done
value stream "$(ts_run "$id" 'cat /tmp/stream')"
last=$(flushed)
value reconnects "$(ts_run "$id" "dmesg | grep -c 'xvda: backend reconnected'")"
"$P" shutdown -w -t 120 ts-sup || ts_fail "shutdown"
# Blocks 0..last-1 as the guest wrote them, byte for byte.
want=$(awk -v n="$last" 'BEGIN { for (i = 0; i < n; i++) printf "PVSEQ %08d%4082s", i, "" }' |
    sha256sum | cut -d' ' -f1)
got=$(head -c $((last * 4096)) /tmp/sup.img | sha256sum | cut -d' ' -f1)
value image "$([ "$last" -gt 0 ] && [ "$want" = "$got" ] && echo all_flushed_blocks || echo "differs ($last blocks)")"
