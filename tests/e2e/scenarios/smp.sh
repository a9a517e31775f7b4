# smp: every vCPU the VMM was given (4) is online in the guest; each CPU's tick device (pvcore's
# PV timer under pvisor, the local APIC timer under QEMU).
online=$(cat /sys/devices/system/cpu/online)
value cpus_online "$online"
value tick_device "$(cat /sys/devices/system/clockevents/clockevent[0-9]*/current_device | tr '\n' , | sed 's/,$//')"
if [ "$online" = 0-3 ]; then result pass; else result fail "online=$online"; fi
