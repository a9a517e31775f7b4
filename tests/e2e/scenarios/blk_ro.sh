# blk_ro: a read-only PV disk (e2e-blk-ro; pvisor --disk IMAGE,ro).
#
# The host filled the image with a fixed pattern (pvtest.py 'disk_fill') and checks it is
# unchanged byte for byte afterwards. Here: the disk is read-only to the block layer
# (/sys/block/xvda/ro = 1, from the backend's mode "r" / info VDISK_READONLY), a raw write
# is refused, reads return the host's pattern, and ext4 cannot be created on it.
. /scenarios/blk_lib.sh
blk_load_kmods
blk_wait_disk xvda
value ro_flag "$(cat /sys/block/xvda/ro)"

if dd if=/dev/zero of=/dev/xvda bs=4096 count=1 conv=fsync 2>/dev/null; then
    value dd_write accepted
else
    value dd_write refused
fi
# A write that bypasses the page cache too.
dd if=/dev/zero of=/dev/xvda bs=4096 count=1 seek=100 oflag=direct 2>/dev/null &&
    fail "direct write accepted"
# The first 32 bytes are sha256("pvtest-disk"); the host compares the digest of them.
value pattern "$(dd if=/dev/xvda bs=32 count=1 2>/dev/null | sha256sum | cut -d' ' -f1)"
# Reading the whole disk works (64 MiB through every queue's ring).
dd if=/dev/xvda of=/dev/null bs=1M 2>/dev/null || fail "read"
result pass
