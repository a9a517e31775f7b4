#!/bin/busybox sh
# l1-guest-io.sh: /init of the emulated L1 machine for guest-io-bench (the nested platform of
# tests/e2e, see docs/testing.md). Loads KVM (kvm_amd) and tun, makes the TAP, iperf3 server
# and RAM-backed image (gio-setup.sh), runs each configuration named on the command line in
# turn (run-guest-io.sh), and powers off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /tmp

arg() {
    for word in $(cat /proc/cmdline); do
        case $word in pvtest.$1=*) echo "${word#*=}" ;; esac
    done
}

# Order matters: each module needs the symbols of the ones before it.
for m in irqbypass kvm ccp kvm-amd tun; do
    insmod "/kvm/$m.ko" || echo "PVTEST-L1-ERROR insmod $m"
done
[ -c /dev/kvm ] || echo "PVTEST-L1-ERROR no /dev/kvm"
[ -d /sys/kernel/debug/kvm ] || echo "PVTEST-L1-ERROR no KVM debugfs"

tap=gio0 image=/tmp/gio.img
# The image lives in the L1's rootfs, which is RAM.
if sh /gio-setup.sh up "$tap" "$image" "$(arg gio_img_mib)"; then
    echo "PVTEST-L1-READY scenario=guestio uptime=$(cut -d' ' -f1 /proc/uptime)"
    for cfg in $(arg gio_configs | tr , ' '); do
        sh /run-guest-io.sh "$cfg" /usr/bin/qemu /usr/bin/pvisor /l2/vmlinuz /l2/initrd.cpio \
            "$image" "$tap" "$(arg gio_pv)" \
            "panic=-1 quiet pvtest.scenario=guestio pvtest.gio_secs=$(arg gio_secs)"
    done
    sh /gio-setup.sh down "$tap" "$image"
fi
poweroff -f
