# ts_stream.sh DEV BATCHES: the guest half of e2e-backend-supervised, run in the background
# by ts_agent.sh. Writes 4 KiB blocks to /dev/DEV, block i at offset i * 4 KiB starting with
# "PVSEQ <i as 8 digits>", 256 to a batch, each batch followed by fsync (a flush); after each
# fsync returns, /tmp/flushed holds the number of blocks that are durable. /tmp/stream says
# "done" at the end, or "failed <batch>".
dev=$1 batches=$2 per=256 b=0
echo 0 >/tmp/flushed
while [ $b -lt "$batches" ]; do
    awk -v first=$((b * per)) -v n=$per \
        'BEGIN { for (i = 0; i < n; i++) printf "PVSEQ %08d%4082s", first + i, "" }' >/tmp/batch
    if ! dd if=/tmp/batch of="/dev/$dev" bs=4096 seek=$((b * per)) conv=notrunc,fsync 2>/dev/null; then
        echo "failed $b" >/tmp/stream
        exit 1
    fi
    b=$((b + 1))
    echo $((b * per)) >/tmp/flushed
done
echo done >/tmp/stream
