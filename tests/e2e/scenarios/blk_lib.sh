# blk_lib.sh: helpers the blk_* scenarios source (not a scenario itself).
#
# The PV disk is devid 51712 (device/vbd/51712), which pvblk names xvda. Extra guest kernel
# modules for a scenario (ext4 and what it needs) are in /kmod, dependencies first
# (pvtest.py 'kmods'); host tools (mkfs.ext4, fio) in /usr/bin with their libraries.

# Loads /kmod/*.ko in order.
blk_load_kmods() {
    for m in /kmod/*.ko; do
        [ -e "$m" ] || continue
        insmod "$m" || fail "insmod-$(basename "$m")"
    done
}

# Waits (30 s at most) for the block device /dev/$1 that pvblk creates once connected.
blk_wait_disk() {
    wait_until 301 0.1 test -b "/dev/$1" || fail "no /dev/$1"
    value disk_sectors "$(cat "/sys/block/$1/size")"
}
