# ts_agent: the guest half of every toolstack scenario (scenarios/ts_*.host.sh drive it).
# Announces itself in its store (data/agent = ready), then runs each command the host writes
# to data/cmd ("SEQ SHELL-COMMAND") once and answers in data/result ("SEQ STATUS OUTPUT": the
# command's status and its output as one line). It ends only by the toolstack: poweroff and
# reboot come as the signals Linux's orderly_poweroff/orderly_reboot send to init (busybox's
# poweroff: SIGUSR2, reboot: SIGTERM), which this shell, init here, turns into the real thing.
trap 'echo PVTEST-AGENT-POWEROFF; result pass; sync; poweroff -f' USR2 USR1
trap 'echo PVTEST-AGENT-REBOOT; sync; reboot -f' TERM
# The kernel's orderly_poweroff/orderly_reboot run /sbin/poweroff and /sbin/reboot.
mkdir -p /sbin
ln -sf /bin/busybox /sbin/poweroff
ln -sf /bin/busybox /sbin/reboot
s=/sys/kernel/debug/pvcore/store
[ -w $s ] || fail "no $s"
st() { echo "$1" >$s 2>/dev/null && cat $s; }
readval() {
    res=$(st "read $1")
    [ "$(echo "$res" | head -n 1)" = OK ] && echo "$res" | sed -n 2p
}
for m in /kmod/*.ko; do
    [ -e "$m" ] && insmod "$m"
done
role=$(arg role)
domid=$(readval domid)
echo "PVTEST-AGENT role=$role domid=$domid"
st "write data/agent ready" >/dev/null || fail "cannot write data/agent"
last=
while :; do
    c=$(readval data/cmd)
    seq=${c%% *}
    if [ -n "$c" ] && [ "$seq" != "$last" ]; then
        last=$seq
        out=$(eval "${c#* }" 2>&1)
        status=$?
        out=$(echo "$out" | tr '\n' ' ' | sed 's/ *$//' | cut -c1-1500)
        st "write data/result $seq $status $out" >/dev/null
    fi
    sleep 0.3
done
