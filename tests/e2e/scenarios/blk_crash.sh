# blk_crash: kill -9 the backend in the middle of a write stream (e2e-blk-crash).
#
# The guest writes 4 KiB blocks straight to /dev/xvda, block i at offset i * 4 KiB starting
# with "PVSEQ <i as 8 digits>", in batches of 256 (1 MiB, one dd), each batch followed by
# fsync (a flush). After a batch's fsync returns, PVTEST-VALUE flushed=N (N blocks durable)
# is printed. A quarter of the way in it prints PVTEST-HOST-BLK-KILL and goes on writing: the
# host half (run-l2.sh) kill -9s pvisor-blkback and starts it again with the same command
# line; pvblk keeps the requests in flight and sends them again once the new backend
# connects. The host then checks (pvtest.py crash_stream_check) that blocks 0..N-1 of the
# last flushed=N are on the image, and that the guest saw exactly one reconnect.
. /scenarios/blk_lib.sh
blk_wait_disk xvda
batches=32
per=256
b=0
while [ $b -lt $batches ]; do
    # One batch: blocks b*per .. b*per+per-1, each "PVSEQ %08d" padded to 4096 bytes.
    awk -v first=$((b * per)) -v n=$per \
        'BEGIN { for (i = 0; i < n; i++) printf "PVSEQ %08d%4082s", first + i, "" }' \
        >/tmp/batch || fail "batch $b"
    dd if=/tmp/batch of=/dev/xvda bs=4096 seek=$((b * per)) conv=notrunc,fsync 2>/dev/null ||
        fail "write batch $b"
    b=$((b + 1))
    value flushed $((b * per))
    [ $b -eq $((batches / 4)) ] && echo "PVTEST-HOST-BLK-KILL"
done
value stream done
# pvblk logs "<disk>: backend reconnected" once per new backend connection.
value reconnects "$(dmesg | grep -c 'xvda: backend reconnected')"
result pass
