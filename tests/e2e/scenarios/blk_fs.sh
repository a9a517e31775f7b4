# blk_fs: ext4 on the PV disk survives a power-off (e2e-blk-fs; two boots on one image).
#
# Boot 1 (no filesystem yet): mkfs.ext4, write 76 MiB of random files of several sizes plus
# a tree of small ones, record their sha256 sums on the disk, sync, unmount, power off.
# Boot 2 (the filesystem and its SHA256SUMS exist): every checksum must match; prints
# PVTEST-VALUE fs_verified=ok, which the host requires.
. /scenarios/blk_lib.sh
blk_load_kmods
blk_wait_disk xvda
mkdir -p /mnt

if mount -t ext4 /dev/xvda /mnt 2>/dev/null && [ -f /mnt/SHA256SUMS ]; then
    value phase verify
    (cd /mnt && sha256sum -c SHA256SUMS >/tmp/check 2>&1) ||
        fail "checksums: $(grep -v ': OK$' /tmp/check | head -n 3 | tr '\n' ' ')"
    value files "$(wc -l </mnt/SHA256SUMS)"
    umount /mnt || fail umount
    value fs_verified ok
    result pass
else
    umount /mnt 2>/dev/null
    value phase write
    mkfs.ext4 -F -q /dev/xvda || fail mkfs
    mount -t ext4 /dev/xvda /mnt || fail mount
    mkdir -p /mnt/big /mnt/small || fail mkdir
    # 76 MiB in files of 1, 4 and 11 MiB (11 MiB: requests beyond the 1 MiB maximum).
    i=0
    for mb in 1 4 11 4 1 11 4 1 11 4 11 4 1 4 4; do
        dd if=/dev/urandom of=/mnt/big/f$i bs=1M count=$mb 2>/dev/null || fail "write big/f$i"
        i=$((i + 1))
    done
    # Small files: many extents and metadata updates.
    i=0
    while [ $i -lt 200 ]; do
        dd if=/dev/urandom of=/mnt/small/s$i bs=512 count=$((i % 16 + 1)) 2>/dev/null ||
            fail "write small/s$i"
        i=$((i + 1))
    done
    (cd /mnt && sha256sum big/* small/* >SHA256SUMS) || fail sha256sum
    sync
    value written_kb "$(du -sk /mnt | cut -f1)"
    umount /mnt || fail umount
    result pass
fi
