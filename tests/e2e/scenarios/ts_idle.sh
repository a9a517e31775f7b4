# ts_idle: a guest that only idles, the toolstack benchmark's domain (scenarios/ts_bench.host.sh)
# under pvisor and under QEMU alike. Its drivers load (l2-init.sh loads the PV modules under
# pvisor; /kmod holds virtio's, for QEMU), it says which disk and NIC it found, then sleeps
# until the host ends it.
for m in /kmod/*.ko; do
    [ -e "$m" ] && insmod "$m" 2>/dev/null
done
disks() { ls /sys/block | grep -v -e '^ram' -e '^loop' | tr '\n' ' '; }
nics() { ls /sys/class/net | grep -v '^lo$' | tr '\n' ' '; }
wait_until 60 0.5 sh -c '[ -n "$(ls /sys/block | grep -v -e ^ram -e ^loop)" ] &&
    [ -n "$(ls /sys/class/net | grep -v ^lo$)" ]'
echo "PVTEST-IDLE vmm=$vmm disks=$(disks | sed 's/ $//; s/ /,/g') nics=$(nics | sed 's/ $//; s/ /,/g')"
while :; do
    sleep 3600
done
