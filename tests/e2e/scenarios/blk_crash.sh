# blk_crash: kill -9 the backend in the middle of a write stream (e2e-blk-crash).
#
# The guest writes 4 KiB blocks straight to /dev/xvda, block i at offset i * 4 KiB starting
# with "PVSEQ <i as 8 digits>", in batches of 64, each batch followed by fsync (a flush).
# After a batch's fsync returns, PVTEST-VALUE flushed=N (N blocks durable) is printed.
# A quarter of the way in it prints PVTEST-HOST-BLK-KILL: the host half (run-l2.sh, to be
# added with pvisor's backend control) kill -9s the disk's backend and starts it again;
# pvblk keeps the requests in flight and sends them again once the new backend connects.
# The host then checks (pvtest.py crash_stream_check) that blocks 0..N-1 of the last
# flushed=N are on the image.
. /scenarios/blk_lib.sh
blk_wait_disk xvda
batches=64
per=64
b=0
while [ $b -lt $batches ]; do
    j=0
    : >/tmp/batch
    while [ $j -lt $per ]; do
        printf 'PVSEQ %08d' $((b * per + j)) |
            dd of=/tmp/batch bs=4096 seek=$j conv=sync,notrunc 2>/dev/null
        j=$((j + 1))
    done
    dd if=/tmp/batch of=/dev/xvda bs=4096 seek=$((b * per)) conv=notrunc,fsync 2>/dev/null ||
        fail "write batch $b"
    b=$((b + 1))
    value flushed $((b * per))
    [ $b -eq $((batches / 4)) ] && echo "PVTEST-HOST-BLK-KILL"
done
value stream done
result pass
