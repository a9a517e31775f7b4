#!/bin/sh
# run-l2.sh: start the guest under test in the chosen VMM on this machine's /dev/kvm, type the
# scenario's console input once the guest asks for it (PVTEST-READY), and report
#   PVTEST-VMM-INIT vmm=K init_s=S hwm_kb=N    (when the guest's PVTEST-INIT appears)
#   PVTEST-VMM-STATS vmm=K init_s=S hwm_kb=N   (launch to the guest's PVTEST-INIT; VmHWM)
#   PVTEST-VMM-EXIT vmm=K status=N
#   PVTEST-METRIC name=value                   (pvisor only: its --metrics file at exit)
#   PVTEST-KVMTRACE line                       (pvisor exit status 4, a triple fault: the tail
#                                               of KVM's trace when L1 set it up)
# and does the host actions a pvisor guest asks for, each line once, in order:
#   PVTEST-HOST-GRANT-PROBE RW RO REVOKED   pvisor-grant-probe on those grant refs (e2e-grant)
#   PVTEST-HOST-BLK-KILL                  kill -9 pvisor's block backend (pvisor-blkback) and
#                                         start it again with the same command line
#                                         (e2e-blk-crash)
#   PVTEST-HOST-STORE-WRITE PATH VALUE   `pvisor store write PATH VALUE` on the guest's
#                                        control socket (VALUE: one word)
#   PVTEST-HOST-NET-PING ADDR COUNT       `ping -c COUNT ADDR` (e2e-net-ping)
#   PVTEST-HOST-NET-SINK PORT BYTES PATH  take one TCP connection on PORT; the sha256 of what
#                                         arrived goes to the guest's store at PATH
#   PVTEST-HOST-NET-SOURCE ADDR PORT BYTES  send net_gen BYTES (scenarios/net_lib.sh) to
#                                         ADDR:PORT, retrying until accepted (e2e-net-tcp)
#   PVTEST-HOST-SAVE-RESTORE              save the domain through vmm.sock (`pvisor vmm-request`,
#                                         reply printed as PVTEST-HOST-SAVED JSON); the VMM
#                                         exits (status 8), `pvisor run --restore` starts from
#                                         the file (PVTEST-HOST-RESTORING first) and
#                                         "restored" is typed on its console
#                                         (e2e-save-restore-basic)
# The PVTEST-HOST-NET-* actions run in the background, each kind once.
# Runs inside the L1 machine (busybox sh) or on the host (direct platform).
#
# pvisor's platform tables come in the environment: PVTEST_ACPI=on (the default: ACPI tables,
# no MP table) or off (--acpi off, the MP table, and acpi=off on the guest's command line).
# A PV disk for pvisor comes in the environment: PVTEST_DISK=PATH[,ro] becomes --disk.
# So does a network interface (net-host.sh): PVTEST_NET=SPEC becomes --net SPEC, and
# PVTEST_L2_ARGS=WORDS more of the guest's kernel command line (pvtest.role=a, ...), as
# does PVTEST_L2_EXTRA=WORDS for every guest of a run (PVISOR_E2E_L2_ARGS, pvtest.py).
# Several guests at once (net-host.sh) must not wait for each other forever: with
# PVTEST_INIT_TIMEOUT=S the VMM is stopped (SIGTERM) if its guest printed no PVTEST-INIT
# within S seconds, with PVTEST_PEER_END=FILE once FILE (another run ended) is 90 s old.
#
# usage: run-l2.sh qemu|pvisor VMM_BINARY KERNEL INITRD SCENARIO VCPUS [INPUT_FILE]
set -u
kind=$1 bin=$2 kernel=$3 initrd=$4 scenario=$5 vcpus=$6 input=${7:-}

work=$(mktemp -d)
mkfifo "$work/in"
cmdline="panic=-1 quiet pvtest.scenario=$scenario pvtest.vmm=$kind"
cmdline="$cmdline${PVTEST_L2_ARGS:+ $PVTEST_L2_ARGS}${PVTEST_L2_EXTRA:+ $PVTEST_L2_EXTRA}"
case $kind in
qemu)
    # The stand-in and the benchmark's reference: QEMU microvm on the same KVM.
    set -- "$bin" -enable-kvm -M microvm -cpu host -m 512 -smp "$vcpus" -nographic \
        -no-reboot -nic none -kernel "$kernel" -initrd "$initrd" \
        -append "console=ttyS0 $cmdline"
    ;;
pvisor)
    # ttyS0 carries the boot until pvcore registers hvc0; stdin goes to hvc0 (--console pv).
    acpi=${PVTEST_ACPI:-on}
    [ "$acpi" = off ] && cmdline="acpi=off $cmdline"
    set -- "$bin" run --kernel "$kernel" --initrd "$initrd" --acpi "$acpi" \
        --cmdline "console=ttyS0 console=hvc0 $cmdline" --memory 512M \
        --vcpus "$vcpus" --console pv --metrics "$work/metrics" \
        --control "$work/ctl" ${PVTEST_DISK:+--disk "$PVTEST_DISK"} \
        ${PVTEST_NET:+--net "$PVTEST_NET"}
    ;;
*)
    echo "run-l2.sh: unknown VMM kind '$kind'" >&2
    exit 2
    ;;
esac

now() { cut -d' ' -f1 /proc/uptime; }
start=$(now)
# The VMM reads its console input from a FIFO this script holds open (fd 3), so nothing
# reaches the guest before it asks. tee streams the console to our output as it comes.
# A VMM that exits saved (status 8, after PVTEST-HOST-SAVE-RESTORE) is followed by one
# restored from its file, on the same console, control directory and metrics file.
( "$@" <"$work/in" 2>&1 &
  echo $! >"$work/pid"
  wait $!
  st=$?
  if [ "$st" = 8 ] && [ -f "$work/guest.sav" ]; then
      echo "PVTEST-HOST-RESTORING"
      "$bin" run --restore "$work/guest.sav" --console pv --metrics "$work/metrics" \
          --control "$work/ctl" <"$work/in" 2>&1 &
      echo $! >"$work/pid"
      wait $!
      st=$?
  fi
  echo $st >"$work/status" ) | tee "$work/out" &
pipeline=$!
exec 3>"$work/in"

# The first line of the guest's output starting with $1, without its carriage return.
first_request() {
    line=$(grep -m 1 "^$1 " "$work/out") || return 1
    echo "$line" | tr -d '\r'
}

# The PVTEST-HOST-NET-* requests (see the header), each started once in the background.
net_actions() {
    if [ -z "${net_pinged:-}" ] && req=$(first_request PVTEST-HOST-NET-PING); then
        net_pinged=1
        set -- $req
        (ping -c "$3" -W 2 -w 120 "$2" >/dev/null 2>&1 ||
            echo "PVTEST-HOST-ACTION-FAILED ping -c $3 $2") &
        net_jobs="${net_jobs:-} $!"
    fi
    if [ -z "${net_sunk:-}" ] && req=$(first_request PVTEST-HOST-NET-SINK); then
        net_sunk=1
        set -- $req
        # busybox nc quits at EOF on its stdin: it reads a FIFO nobody writes.
        mkfifo "$work/sink-hold"
        (exec 5<>"$work/sink-hold"
            sum=$(nc -l -p "$2" <&5 | sha256sum | cut -d' ' -f1)
            "$bin" store write --control "$work/ctl" "$4" "$sum" ||
                echo "PVTEST-HOST-ACTION-FAILED store write $4 (net sink)") &
        net_jobs="${net_jobs:-} $!"
    fi
    if [ -z "${net_sourced:-}" ] && req=$(first_request PVTEST-HOST-NET-SOURCE); then
        net_sourced=1
        set -- $req
        (. "$(dirname "$0")/scenarios/net_lib.sh"
            n=0
            until net_gen "$4" | nc "$2" "$3"; do
                n=$((n + 1))
                [ $n -lt 60 ] || { echo "PVTEST-HOST-ACTION-FAILED send to $2:$3"; exit; }
                sleep 1
            done) &
        net_jobs="${net_jobs:-} $!"
    fi
}

# Ends process $1 and everything it started (an action whose peer never came, or left).
kill_tree() {
    for child in $(awk -v p="$1" '$4 == p { print $1 }' /proc/[0-9]*/stat 2>/dev/null); do
        kill_tree "$child"
    done
    kill "$1" 2>/dev/null
}

# kill -9 pvisor's block backend, then start it again as pvisor had started it (the same
# command line; its output joins ours): what an operator does after a backend crash.
blk_restart() {
    vmm=$(cat "$work/pid")
    bpid=$(awk -v p="$vmm" '$4 == p && $2 == "(pvisor-blkback)" { print $1 }' \
        /proc/[0-9]*/stat 2>/dev/null)
    if [ -z "$bpid" ] || ! cp "/proc/$bpid/cmdline" "$work/blkback.cmd"; then
        echo "PVTEST-HOST-ACTION-FAILED blk kill: pvisor ($vmm) has no pvisor-blkback"
        return
    fi
    kill -9 "$bpid"
    # pvisor's watcher reaps it (and says so); then it is gone from /proc.
    n=0
    while [ -d "/proc/$bpid" ] && [ $n -lt 200 ]; do
        sleep 0.05
        n=$((n + 1))
    done
    echo "PVTEST-HOST-BLK-KILLED pid=$bpid"
    xargs -0 sh -c 'exec "$@" 2>&1' sh <"$work/blkback.cmd" &
    blk_jobs="${blk_jobs:-} $!"
}

# Poll until the VMM exits: its VmHWM only grows, so the last reading is the peak.
# Runs the PVTEST-HOST-* requests the guest printed since the last call.
acted=0
host_actions() {
    [ "$kind" = pvisor ] || return 0
    [ -z "${PVTEST_NET:-}" ] || net_actions
    # e2e-grant: the test backend writes and probes the guest's grants (once).
    if [ -z "${probed:-}" ] && grep -q '^PVTEST-HOST-GRANT-PROBE ' "$work/out"; then
        probed=1
        set -- $(grep '^PVTEST-HOST-GRANT-PROBE ' "$work/out" | head -n 1 | tr -d '\r')
        if res=$(/usr/bin/pvisor-grant-probe --control "$work/ctl/guest.ctl" --rw "$2" \
            --ro "$3" --revoked "$4" 2>&1); then
            echo "PVTEST-HOST-PROBE $res"
        else
            echo "PVTEST-HOST-ACTION-FAILED grant probe: $res"
        fi
    fi
    if [ -z "${saved:-}" ] && grep -q '^PVTEST-HOST-SAVE-RESTORE' "$work/out"; then
        saved=1
        reply=$("$bin" vmm-request --control "$work/ctl" \
            "{\"op\":\"save\",\"path\":\"$work/guest.sav\"}" 2>&1)
        echo "PVTEST-HOST-SAVED $reply"
    fi
    # Typed once the restored guest printed again: the new VMM holds the console FIFO open
    # then (a write while no VMM has it open would be lost to EPIPE).
    if [ -n "${saved:-}" ] && [ -z "${typed:-}" ] &&
        sed -n '/^PVTEST-HOST-RESTORING/,$p' "$work/out" | grep -q '^PVSEQ'; then
        typed=1
        echo restored >&3
    fi
    if [ -z "${blk_killed:-}" ] && grep -q '^PVTEST-HOST-BLK-KILL' "$work/out"; then
        blk_killed=1
        blk_restart
    fi
    total=$(grep -c '^PVTEST-HOST-STORE-WRITE ' "$work/out")
    [ "$total" -gt "$acted" ] || return 0
    grep '^PVTEST-HOST-STORE-WRITE ' "$work/out" | tr -d '\r' |
        sed -n "$((acted + 1)),${total}p" | while read -r _ path val; do
            "$bin" store write --control "$work/ctl" "$path" "$val" ||
                echo "PVTEST-HOST-ACTION-FAILED store write $path"
        done
    acted=$total
}

# Stops the VMM (once) for the reason in $1; the runner sees the reason and the VMM's exit.
stop_vmm() {
    [ -z "${stopped:-}" ] || return 0
    stopped=1
    echo "PVTEST-HOST-ACTION-FAILED $1: VMM stopped"
    kill -TERM "$(cat "$work/pid")" 2>/dev/null
}

# PVTEST_INIT_TIMEOUT and PVTEST_PEER_END (see the header).
watch_peers() {
    t=$(now)
    if [ -n "${PVTEST_INIT_TIMEOUT:-}" ] && [ -z "$init" ] &&
        [ "$(echo "$start $t $PVTEST_INIT_TIMEOUT" | awk '{ print ($2 - $1 > $3) }')" = 1 ]; then
        stop_vmm "the guest printed nothing in $PVTEST_INIT_TIMEOUT s"
    fi
    if [ -n "${PVTEST_PEER_END:-}" ] && [ -f "$PVTEST_PEER_END" ]; then
        peer_end=${peer_end:-$t}
        [ "$(echo "$peer_end $t" | awk '{ print ($2 - $1 > 90) }')" = 0 ] ||
            stop_vmm "another guest of this run ended 90 s ago"
    fi
}

hwm=0 init= fed=
while [ ! -f "$work/status" ]; do
    pid=$(cat "$work/pid" 2>/dev/null)
    h=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/${pid:-none}/status" 2>/dev/null)
    [ -n "$h" ] && hwm=$h
    if [ -z "$init" ] && grep -q PVTEST-INIT "$work/out"; then
        init=$(echo "$start $(now)" | awk '{ printf "%.2f", $2 - $1 }')
        # Also now, for a VMM that reaches init but never exits.
        echo "PVTEST-VMM-INIT vmm=$kind init_s=$init hwm_kb=$hwm"
    fi
    if [ -n "$input" ] && [ -z "$fed" ] && grep -q PVTEST-READY "$work/out"; then
        cat "$input" >&3
        fed=1
    fi
    host_actions
    watch_peers
    sleep 0.05
done
wait $pipeline
exec 3>&-
for job in ${net_jobs:-} ${blk_jobs:-}; do kill_tree "$job"; done
echo "PVTEST-VMM-STATS vmm=$kind init_s=${init:-none} hwm_kb=$hwm"
[ -f "$work/metrics" ] && sed 's/^\([^ ]*\) \(.*\)$/PVTEST-METRIC \1=\2/' "$work/metrics"
status=$(cat "$work/status")
# A triple fault (pvisor's exit status 4): the last things KVM saw this guest do.
if [ "$kind" = pvisor ] && [ "$status" = 4 ] && [ -n "${PVTEST_KVM_TRACE:-}" ]; then
    echo 0 >"$PVTEST_KVM_TRACE/tracing_on"
    grep -v '^#' "$PVTEST_KVM_TRACE/trace" | tail -n 200 | sed 's/^/PVTEST-KVMTRACE /'
fi
echo "PVTEST-VMM-EXIT vmm=$kind status=$status"
rm -rf "$work"
