#!/bin/busybox sh
# l1-init.sh: /init of the emulated L1 machine (QEMU TCG, -cpu max) of the nested platform.
# Loads KVM with AMD-V (kvm_amd: the emulated CPU has svm and npt), then runs one guest
# scenario under the VMM named on the command line through run-l2.sh, and powers off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp

arg() {
    for word in $(cat /proc/cmdline); do
        case $word in pvtest.$1=*) echo "${word#*=}" ;; esac
    done
}

# Order matters: each module needs the symbols of the ones before it. kvm_amd takes the
# parameters given as pvtest.kvm_amd=P=V,P=V (PVISOR_E2E_KVM_AMD, pvtest.py).
for m in irqbypass kvm ccp kvm-amd; do
    params=
    [ $m = kvm-amd ] && params=$(arg kvm_amd | tr , ' ')
    # shellcheck disable=SC2086 # one word per parameter
    insmod "/kvm/$m.ko" $params || echo "PVTEST-L1-ERROR insmod $m $params"
done
[ -n "$(arg l2args)" ] && export PVTEST_L2_EXTRA="$(arg l2args | tr , ' ')"
# pvisor's platform tables (pvtest.py's scenario_acpi): run-l2.sh's and ts_lib.sh's --acpi.
export PVTEST_ACPI="$(arg acpi)"
[ -c /dev/kvm ] || echo "PVTEST-L1-ERROR no /dev/kvm"
p=/sys/module/kvm_amd/parameters
echo "PVTEST-L1-KVM npt=$(cat $p/npt 2>/dev/null) vgif=$(cat $p/vgif 2>/dev/null)"

# KVM's own record of the guest's last exits and injections, kept in a ring buffer: run-l2.sh
# prints its tail when the guest triple-faults (on AMD the vCPU's registers are gone by then).
t=/sys/kernel/tracing
if mount -t tracefs tracefs $t 2>/dev/null && [ -d $t/events/kvm ]; then
    echo 2048 >$t/buffer_size_kb
    for e in kvm_exit kvm_entry kvm_inj_virq kvm_inj_exception kvm_pio kvm_msi_set_irq \
        kvm_apic_accept_irq kvm_userspace_exit kvm_page_fault; do
        echo 1 >$t/events/kvm/$e/enable 2>/dev/null
    done
    export PVTEST_KVM_TRACE=$t
fi

# A PV disk scenario: L1's virtio disk (dependencies first) goes to pvisor (run-l2.sh).
if [ -n "$(arg disk)" ]; then
    for m in /virtio/*.ko; do
        insmod "$m" || echo "PVTEST-L1-ERROR insmod $m"
    done
    export PVTEST_DISK="$(arg disk)"
    n=0
    while [ ! -b "${PVTEST_DISK%,*}" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
    [ -b "${PVTEST_DISK%,*}" ] || echo "PVTEST-L1-ERROR no ${PVTEST_DISK%,*}"
fi

scenario=$(arg scenario)
input=
[ -f "/scenarios/$scenario.input" ] && input=/scenarios/$scenario.input
# A network scenario: its runs ("NETSPEC [ARG...]" lines) go through net-host.sh, which sets up
# the bridge their TAPs join; TAP and bridge drivers first (dependencies first).
runner=/run-l2.sh
if [ -f "/scenarios/$scenario.nets" ]; then
    runner="/net-host.sh /scenarios/$scenario.nets"
    for m in /net/*.ko; do
        insmod "$m" || echo "PVTEST-L1-ERROR insmod $m"
    done
fi
echo "PVTEST-L1-READY scenario=$scenario"
# A toolstack scenario: its host half drives the toolstack service (toolstack-host.sh).
if [ -f "/scenarios/$scenario.host.sh" ]; then
    for m in /net/*.ko; do
        insmod "$m" || echo "PVTEST-L1-ERROR insmod $m"
    done
    mkdir -p /run
    sh /toolstack-host.sh "$scenario" /usr/bin/pvisor /l2/vmlinuz /l2/initrd.cpio
    poweroff -f
fi
# pvtest.vmm is a comma-separated list: the boot benchmark runs both VMMs in one L1 boot.
for vmm in $(arg vmm | tr , ' '); do
    sh $runner "$vmm" "/usr/bin/$vmm" /l2/vmlinuz /l2/initrd.cpio "$scenario" \
        "$(arg vcpus)" $input
done
poweroff -f
