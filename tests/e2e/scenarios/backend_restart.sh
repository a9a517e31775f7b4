# backend_restart: kill -9 a connected device's backend, restart it, and the device works
# again (e2e-backend-restart; issue 3's split-driver recovery, on the PV disk).
#
# 1. 4 MiB of a known pattern go to xvda (direct I/O, so through the ring) and are read back.
# 2. PVTEST-HOST-BLK-KILL: the host half (run-l2.sh) kill -9s pvisor-blkback while the
#    device is connected and starts it again with the same command line.
# 3. The guest waits for pvblk's reconnect (the new backend's InitWait -> Connected), then
#    reads the pattern back through the new backend's ring and does a fresh write/read round
#    trip. The host requires before=after (the digests of the data read before and after the
#    restart) and round_trip=ok.
# 4. The killed backend's pins (old ring pages, persistent grants) were released by pvisor
#    (its pin journal), so pvcore's deferred end-of-access list drains to 0 (retried each
#    second); without that release those refs stay deferred forever.
. /scenarios/blk_lib.sh
blk_wait_disk xvda
# 4096 records of 1 KiB: "pvisor-TAG-<i as 8 digits>" padded with spaces.
pattern() {
    awk -v tag="$1" 'BEGIN { for (i = 0; i < 4096; i++) printf "pvisor-%-6s-%08d%1002s", tag, i, "" }'
}
pattern before >/tmp/p1 || fail pattern
dd if=/tmp/p1 of=/dev/xvda bs=64k oflag=direct 2>/dev/null || fail "write before"
before=$(dd if=/dev/xvda bs=64k count=64 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "$before" = "$(sha256sum </tmp/p1 | cut -d' ' -f1)" ] || fail "read back before the restart"
value before "$before"

echo "PVTEST-HOST-BLK-KILL"
reconnected() { dmesg | grep -q 'xvda: backend reconnected'; }
wait_until 601 0.1 reconnected || fail "no reconnect within 60 s"
value after "$(dd if=/dev/xvda bs=64k count=64 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)"

pattern after >/tmp/p2 || fail pattern
dd if=/tmp/p2 of=/dev/xvda bs=64k seek=64 oflag=direct 2>/dev/null || fail "write after"
got=$(dd if=/dev/xvda bs=64k skip=64 count=64 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "$got" = "$(sha256sum </tmp/p2 | cut -d' ' -f1)" ] && value round_trip ok
value reconnects "$(dmesg | grep -c 'xvda: backend reconnected')"
gt=/sys/kernel/debug/pvcore/grant
deferred() { sed -n 's/.*deferred=\([0-9]*\).*/\1/p' "$gt"; }
[ -n "$(deferred)" ] || fail "no deferred count in $gt"
wait_until 101 0.1 output_is 0 deferred ||
    fail "pvcore still defers $(deferred) grant(s) 10 s after the restart"
value deferred "$(deferred)"
result pass
