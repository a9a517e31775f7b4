# blk_fio: fio random read/write with verification over several queues (e2e-blk-fio).
#
# 4 vCPUs -> up to 4 rings (pvblk: one per vCPU up to the backend's multi-queue-max-queues).
# Four jobs, each on its own 256 MiB region (offset_increment), libaio at depth 32, direct
# I/O, block sizes from 4 KiB to 1 MiB (1 MiB needs indirect segments), crc32c verification
# with a fatal first error. The host requires PVTEST-VALUE fio_verify_errors=0.
. /scenarios/blk_lib.sh
blk_wait_disk xvda
queues=$(ls /sys/block/xvda/mq | wc -l)
value queues "$queues"
[ "$queues" -ge 2 ] || fail "only $queues queue(s)"
value max_sectors_kb "$(cat /sys/block/xvda/queue/max_sectors_kb)"

fio --name=pvblk --filename=/dev/xvda --direct=1 --ioengine=libaio --iodepth=32 \
    --numjobs=4 --size=256M --offset_increment=256M --rw=randrw --rwmixread=50 \
    --bsrange=4k-1m --blockalign=4k --verify=crc32c --verify_fatal=1 --do_verify=1 \
    --group_reporting >/tmp/fio.out 2>&1
status=$?
errors=$(grep -ciE 'verify failed|bad magic|verify: ' /tmp/fio.out)
tail -n 12 /tmp/fio.out
[ $status -eq 0 ] || errors=$((errors + 1))
value fio_status "$status"
value fio_verify_errors "$errors"
[ "$errors" -eq 0 ] || fail "fio: $errors verify errors, exit $status"
result pass
