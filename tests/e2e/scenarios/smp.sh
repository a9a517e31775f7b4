# smp: every vCPU the VMM was given (4) is online in the guest.
online=$(cat /sys/devices/system/cpu/online)
value cpus_online "$online"
if [ "$online" = 0-3 ]; then result pass; else result fail "online=$online"; fi
