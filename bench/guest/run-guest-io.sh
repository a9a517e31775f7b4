#!/bin/sh
# run-guest-io.sh: one guest-io-bench configuration on this machine's /dev/kvm (inside the L1
# machine, or on the host on the direct platform). Starts the L2 guest with the configuration's
# disk and NIC, answers each PVTEST-GIO-SNAP line of the guest with a snapshot of KVM's own
# counters (PVTEST-GIO-KVM TAG name=value ...) and then an empty console line, and reports
#   PVTEST-GIO-BEGIN cfg=C attempt=N     before each launch
#   PVTEST-GIO-VMM-EXIT cfg=C status=N   at the end
# A run whose guest resets before its first line, its VMM exiting 0 (the nested platform's
# known flake, see docs/testing.md), is started again, at most twice.
#
# usage: run-guest-io.sh CFG QEMU PVISOR KERNEL INITRD IMAGE TAP PV_FEATURES CMDLINE
#   CFG virtio|emulated|pv|pv-lapic; PV_FEATURES: the pvisor devices to attach (blk,net or none;
#   nodirect: pvisor's disk option takes direct=off)
set -u
cfg=$1 qemu=$2 pvisor=$3 kernel=$4 initrd=$5 image=$6 tap=$7 pvfeat=$8 cmdline=$9

# The counters KVM keeps for all its VMs (only this one runs): debugfs, top level.
KVM_STATS="exits io_exits mmio_exits irq_exits halt_exits irq_window_exits irq_injections
    insn_emulation request_irq_exits signal_exits hypercalls"
kvm_snapshot() {
    line=
    for s in $KVM_STATS; do
        [ -r "/sys/kernel/debug/kvm/$s" ] && line="$line $s=$(cat "/sys/kernel/debug/kvm/$s")"
    done
    echo "PVTEST-GIO-KVM $1$line"
}

# The VMM's command line as the positional parameters. QEMU: the same machine and memory for
# both its configurations (-M pc: microvm has no IDE); the disk is the RAM-backed image through
# QEMU's default thread-pool AIO, the NIC a TAP without vhost (the userspace backend).
devs=blk,net
case $cfg in pv | pv-lapic) devs=$(echo "$pvfeat" | sed 's/,*nodirect//') ;; esac
cmdline="$cmdline pvtest.gio_dev=$devs"
# pv-lapic: pvcore leaves each CPU's tick on the local APIC timer (guest-io.sh's insmod takes
# MODULE.PARAM words from the command line).
[ "$cfg" = pv-lapic ] && cmdline="$cmdline pvcore.timer=lapic"
if [ "$cfg" = pv ] || [ "$cfg" = pv-lapic ]; then
    # The MP table and acpi=off, as the figures in docs/perf-guest-io.md were measured.
    set -- "$pvisor" run --kernel "$kernel" --initrd "$initrd" --memory 512M --vcpus 1 \
        --acpi off --console pv \
        --cmdline "console=ttyS0 console=hvc0 acpi=off $cmdline pvtest.vmm=pvisor"
    disk=$image
    case ,$pvfeat, in *,nodirect,*) disk=$image,direct=off ;; esac
    case ,$pvfeat, in *,blk,*) set -- "$@" --disk "$disk" ;; esac
    case ,$pvfeat, in *,net,*) set -- "$@" --net "tap=$tap" ;; esac
else
    case $cfg in
    virtio) disk=virtio-blk-pci,drive=d0 nic=virtio-net-pci,netdev=n0,romfile= ;;
    emulated) disk=ide-hd,drive=d0,bus=ide.0 nic=e1000,netdev=n0,romfile= ;;
    *) echo "run-guest-io.sh: unknown configuration '$cfg'" >&2; exit 2 ;;
    esac
    set -- "$qemu" -enable-kvm -M pc -cpu host -m 512 -smp 1 -nodefaults -display none \
        -serial stdio -no-reboot -kernel "$kernel" -initrd "$initrd" \
        -append "console=ttyS0 $cmdline pvtest.vmm=qemu" \
        -drive "file=$image,format=raw,if=none,id=d0,cache=writeback,aio=threads" \
        -device "$disk" \
        -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,vhost=off" -device "$nic"
fi

# One launch: the console goes to stdout as it comes and to $work/out for the handshake.
launch() {
    work=$(mktemp -d)
    mkfifo "$work/in"
    : >"$work/out"
    ( "$@" <"$work/in" 2>&1 &
      echo $! >"$work/pid"
      wait $!
      echo $? >"$work/status" ) | tee "$work/out" &
    pipeline=$!
    exec 3>"$work/in"
    answered=0 init=
    while [ ! -f "$work/status" ]; do
        if [ -z "$init" ] && grep -q PVTEST-INIT "$work/out"; then
            init=1
            echo "PVTEST-GIO-TIME init $(cut -d' ' -f1 /proc/uptime)"
        fi
        asked=$(tr -d '\r' <"$work/out" | grep -c '^PVTEST-GIO-SNAP ')
        while [ "$asked" -gt "$answered" ]; do
            answered=$((answered + 1))
            tag=$(tr -d '\r' <"$work/out" | grep '^PVTEST-GIO-SNAP ' |
                sed -n "${answered}p" | cut -d' ' -f2)
            kvm_snapshot "$tag"
            echo "PVTEST-GIO-TIME $tag $(cut -d' ' -f1 /proc/uptime)"
            echo >&3
        done
        sleep 0.05
    done
    wait $pipeline
    exec 3>&-
    status=$(cat "$work/status")
    started=no
    grep -q 'PVTEST-INIT' "$work/out" && started=yes
    rm -rf "$work"
}

attempt=1
while :; do
    echo "PVTEST-GIO-BEGIN cfg=$cfg attempt=$attempt"
    echo "PVTEST-GIO-TIME begin $(cut -d' ' -f1 /proc/uptime)"
    ip neigh flush dev "$tap" >/dev/null 2>&1
    launch "$@"
    if [ "$status" != 0 ] || [ "$started" = yes ] || [ "$attempt" -ge 3 ]; then
        break
    fi
    echo "PVTEST-GIO-RETRY cfg=$cfg (the L2 guest reset before its first line)"
    attempt=$((attempt + 1))
done
echo "PVTEST-GIO-TIME exit $(cut -d' ' -f1 /proc/uptime)"
echo "PVTEST-GIO-VMM-EXIT cfg=$cfg status=$status"
