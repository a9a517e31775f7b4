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
#   PVTEST-HOST-STORE-WRITE PATH VALUE   `pvisor store write PATH VALUE` on the guest's
#                                        control socket (VALUE: one word)
# Runs inside the L1 machine (busybox sh) or on the host (direct platform).
#
# A PV disk for pvisor comes in the environment: PVTEST_DISK=PATH[,ro] becomes --disk.
#
# usage: run-l2.sh qemu|pvisor VMM_BINARY KERNEL INITRD SCENARIO VCPUS [INPUT_FILE]
set -u
kind=$1 bin=$2 kernel=$3 initrd=$4 scenario=$5 vcpus=$6 input=${7:-}

work=$(mktemp -d)
mkfifo "$work/in"
cmdline="panic=-1 quiet pvtest.scenario=$scenario pvtest.vmm=$kind"
case $kind in
qemu)
    # The stand-in and the benchmark's reference: QEMU microvm on the same KVM.
    set -- "$bin" -enable-kvm -M microvm -cpu host -m 512 -smp "$vcpus" -nographic \
        -no-reboot -nic none -kernel "$kernel" -initrd "$initrd" \
        -append "console=ttyS0 $cmdline"
    ;;
pvisor)
    # ttyS0 carries the boot until pvcore registers hvc0; stdin goes to hvc0 (--console pv).
    set -- "$bin" run --kernel "$kernel" --initrd "$initrd" \
        --cmdline "console=ttyS0 console=hvc0 acpi=off $cmdline" --memory 512M \
        --vcpus "$vcpus" --console pv --metrics "$work/metrics" \
        --control "$work/ctl" ${PVTEST_DISK:+--disk "$PVTEST_DISK"}
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
( "$@" <"$work/in" 2>&1 &
  echo $! >"$work/pid"
  wait $!
  echo $? >"$work/status" ) | tee "$work/out" &
pipeline=$!
exec 3>"$work/in"

# Poll until the VMM exits: its VmHWM only grows, so the last reading is the peak.
# Runs the PVTEST-HOST-* requests the guest printed since the last call.
acted=0
host_actions() {
    [ "$kind" = pvisor ] || return 0
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
    total=$(grep -c '^PVTEST-HOST-STORE-WRITE ' "$work/out")
    [ "$total" -gt "$acted" ] || return 0
    grep '^PVTEST-HOST-STORE-WRITE ' "$work/out" | tr -d '\r' |
        sed -n "$((acted + 1)),${total}p" | while read -r _ path val; do
            "$bin" store write --control "$work/ctl" "$path" "$val" ||
                echo "PVTEST-HOST-ACTION-FAILED store write $path"
        done
    acted=$total
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
    sleep 0.05
done
wait $pipeline
exec 3>&-
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
