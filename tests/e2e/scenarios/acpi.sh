# acpi: the guest found pvisor's machine through ACPI alone (pvisor writes no MP table with
# --acpi on): every vCPU online, the ACPI tables in /sys/firmware/acpi/tables, the PCI host
# bridge PNP0A03 with its MMIO window, the platform device 5850:0001 on its bus, pvcore
# loaded on it, then a PV disk round trip and pings over a PV NIC (pv_devices_lib.sh).
online=$(cat /sys/devices/system/cpu/online)
value cpus_online "$online"
tables=
for t in APIC DSDT FACP; do
    [ -f "/sys/firmware/acpi/tables/$t" ] && tables="$tables${tables:+,}$t"
done
value acpi_tables "$tables"
# The kernel says where the CPUs came from: "ACPI: Using ACPI (MADT) for SMP configuration".
value smp_source "$(dmesg | grep -q 'Using ACPI (MADT) for SMP' && echo madt || echo other)"
value mptable "$(dmesg | grep -qE 'SMP MP-table|MultiProcessor Specification' && echo found || echo none)"
value host_bridge "$(ls /sys/bus/acpi/devices | grep -c '^PNP0A03:')"
value pci_window "$(grep -m 1 'PCI Bus 0000:00' /proc/iomem | tr -d ' ' | cut -d: -f1)"
platform=none
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x5850:0x0001 ] && platform=$(basename "$d")
done
value platform_device "$platform"
value pvcore "$(grep -c '^pvcore ' /proc/modules)"
echo "== /proc/interrupts:"
cat /proc/interrupts
# mptable.sh runs the same checks under --acpi off, where pvtest.py expects the MP table.
. /scenarios/pv_devices_lib.sh
pv_disk_round_trip
pv_net_ping
result pass
