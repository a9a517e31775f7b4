# balloon_shutdown: the toolstack's two requests to a running guest (e2e-balloon-shutdown).
#
# Balloon: the host writes memory/static-max (512 MiB, the guest's --memory) and then
# memory/target 256 MiB: pvcore's balloon gives exactly 256 MiB back (debugfs "balloon",
# MemTotal); then memory/target 384 MiB: it takes 128 MiB back. pvisor's counters at exit
# (pvtest.py) must show the same pages given and taken. Shutdown: the host writes
# control/shutdown = poweroff; pvcore acknowledges it ("" in the store) and starts the
# orderly path, which runs the kernel's poweroff_cmd: here a script that reports and powers
# off, so pvisor must exit with status 0 and this file's own wait must never end.
# Host half: run-l2.sh's PVTEST-HOST-STORE-WRITE (`pvisor store write`).
b=/sys/kernel/debug/pvcore/balloon
s=/sys/kernel/debug/pvcore/store
[ -r $b ] || fail "no $b"
[ -w $s ] || fail "no $s"
field() { awk -v k="$1" '$1 == k { print $2 }' $b; }
memtotal() { awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo; }
echo "read domid" >$s && [ "$(sed -n 1p $s)" = OK ] || fail "store read domid"
home=/local/domain/$(sed -n 2p $s)

# No target yet: nothing given back.
[ "$(field ballooned_pages)" = 0 ] || fail "ballooned before any target: $(field ballooned_pages)"
[ "$(field target_kb)" = "$(field current_kb)" ] || fail "target $(field target_kb) != current"
mem0=$(memtotal)

echo "PVTEST-HOST-STORE-WRITE $home/memory/static-max 524288"
echo "PVTEST-HOST-STORE-WRITE $home/memory/target 262144"
wait_until 120 1 output_is 65536 field ballooned_pages ||
    fail "inflate: ballooned_pages $(field ballooned_pages), expected 65536 ($(tr '\n' ' ' <$b))"
value inflated "$(field ballooned_pages)"
[ "$(field current_kb)" = "$(field target_kb)" ] || fail "inflated: $(tr '\n' ' ' <$b)"
value memtotal_drop_kb $((mem0 - $(memtotal)))

echo "PVTEST-HOST-STORE-WRITE $home/memory/target 393216"
wait_until 120 1 output_is 32768 field ballooned_pages ||
    fail "deflate: ballooned_pages $(field ballooned_pages), expected 32768 ($(tr '\n' ' ' <$b))"
value deflated "$(field ballooned_pages)"
value memtotal_drop2_kb $((mem0 - $(memtotal)))
value balloon_errors "$(field alloc_failures),$(field hypercall_errors),$(field bad_targets)"

# The orderly poweroff runs this (a usermode helper: no stdio, so it writes hvc0 itself).
cat >/pvtest-poweroff <<EOF
#!/bin/sh
exec >/dev/hvc0 2>&1
echo "read control/shutdown" >$s
if [ "\$(sed -n 1p $s)" = OK ] && [ -z "\$(sed -n 2p $s)" ]; then
    echo "PVTEST-VALUE shutdown_acked=yes"
    echo "PVTEST-RESULT name=$scenario status=pass"
else
    echo "PVTEST-RESULT name=$scenario status=fail detail=control/shutdown-not-acknowledged"
fi
sync
exec poweroff -f
EOF
chmod +x /pvtest-poweroff
echo /pvtest-poweroff >/proc/sys/kernel/poweroff_cmd || fail "setting poweroff_cmd"
echo "PVTEST-HOST-STORE-WRITE $home/control/shutdown poweroff"
sleep 120
fail "no orderly poweroff 120 s after control/shutdown=poweroff"
