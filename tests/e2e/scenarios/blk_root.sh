# blk_root: the guest's root filesystem on the PV disk (e2e-blk-root).
#
# pvblk is a module, so the root is reached the way a distribution's initramfs reaches it:
# this initramfs loads pvcore/pvblk (l2-init.sh) and ext4, builds a root filesystem on xvda
# (busybox and an /sbin/init), mounts it and switch_roots into it. The new init checks that
# "/" is /dev/xvda, writes and reads back a file on it, and reports
# PVTEST-VALUE root_dev=xvda, which the host requires.
. /scenarios/blk_lib.sh
blk_load_kmods
blk_wait_disk xvda
mkfs.ext4 -F -q /dev/xvda || fail mkfs
mkdir -p /newroot
mount -t ext4 /dev/xvda /newroot || fail mount
mkdir -p /newroot/bin /newroot/sbin /newroot/proc /newroot/sys /newroot/dev /newroot/tmp
cp /bin/busybox /newroot/bin/busybox || fail "copy busybox"
cat >/newroot/sbin/init <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/hvc0 >/dev/hvc0 2>&1
echo "PVTEST-START name=blk_root phase=root"
root=$(awk '$2 == "/" { dev = $1 } END { print dev }' /proc/mounts)
echo "PVTEST-VALUE root_dev=${root#/dev/}"
status=pass
echo on-root >/root-file && sync && [ "$(cat /root-file)" = on-root ] || status=fail
echo "PVTEST-RESULT name=blk_root status=$status"
sync
poweroff -f
reboot -f
INIT
chmod 755 /newroot/sbin/init
value prepared 1
# PID 1 (this sourced script) hands over; the initramfs is freed.
exec switch_root /newroot /sbin/init
fail "switch_root"
