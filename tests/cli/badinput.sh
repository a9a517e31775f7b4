#!/bin/sh
# badinput.sh: runs pvisor with each kind of bad input and checks the message and exit status.
# usage: badinput.sh PVISOR
set -u
pvisor=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0

# expect STATUS SUBSTRING ARGS...: runs pvisor ARGS, compares status and stderr substring.
expect() {
    want_status=$1 want_msg=$2
    shift 2
    "$pvisor" "$@" >"$work/out" 2>"$work/err" </dev/null
    status=$?
    if [ "$status" != "$want_status" ] ||
        { [ -n "$want_msg" ] && ! grep -qF -- "$want_msg" "$work/err"; }; then
        echo "FAIL: pvisor $*: status $status (want $want_status), stderr: $(cat "$work/err")"
        fails=$((fails + 1))
    fi
}

printf 'not a kernel' >"$work/notkernel"
head -c 8192 /dev/zero >"$work/zeros"
# A minimal bzImage header: HdrS, protocol 2.15, XLF_KERNEL_64, 2 MiB init_size.
python3 - "$work/bz" <<'PY'
import struct, sys
img = bytearray(b"\x90" * 65536)
img[0x1F1] = 4
img[0x201] = 0x66
img[0x202:0x206] = b"HdrS"
struct.pack_into("<H", img, 0x206, 0x20F)
struct.pack_into("<I", img, 0x22C, 0x7FFFFFFF)
struct.pack_into("<H", img, 0x236, 1)
struct.pack_into("<I", img, 0x238, 2047)
struct.pack_into("<I", img, 0x260, 2 << 20)
open(sys.argv[1], "wb").write(img)
PY
head -c 4194304 /dev/zero >"$work/bigrd"

expect 2 "usage: pvisor run"
expect 2 "pvisor: run: --kernel is required" run
expect 2 "pvisor: frobnicate: unknown command" frobnicate
expect 1 "pvisor: $work/missing: No such file or directory" run --kernel "$work/missing"
expect 1 "pvisor: $work/notkernel: not a bzImage" run --kernel "$work/notkernel"
expect 1 "pvisor: $work/zeros: not a bzImage" run --kernel "$work/zeros"
expect 1 "pvisor: $work/missing.rd: No such file or directory" run --kernel "$work/bz" --initrd "$work/missing.rd"
expect 2 "pvisor: --memory 0: not a size" run --kernel "$work/bz" --memory 0
expect 2 "pvisor: --memory 12Q: not a size" run --kernel "$work/bz" --memory 12Q
expect 2 "pvisor: --memory 99999999999G: too large" run --kernel "$work/bz" --memory 99999999999G
expect 1 "memory too small for kernel and initrd" run --kernel "$work/bz" --memory 4M --initrd "$work/bigrd"
expect 2 "pvisor: --vcpus 65: more than pvisor's maximum of 64" run --kernel "$work/bz" --vcpus 65
expect 2 "pvisor: --vcpus x: not a positive number" run --kernel "$work/bz" --vcpus x
expect 2 "pvisor: --console vga: must be pv or serial" run --kernel "$work/bz" --console vga
expect 2 "pvisor: --net tap=t,queues=9: queues must be 1..8" run --kernel "$work/bz" --net tap=t,queues=9
expect 2 "pvisor: --net bridge=br0: must start with tap=NAME" run --kernel "$work/bz" --net bridge=br0
expect 2 "pvisor: --net tap=t0: tap t0 is already a --net" run --kernel "$work/bz" --net tap=t0 --net tap=t0
expect 2 "pvisor: --net tap=t8: more than 8 network interfaces" run --kernel "$work/bz" \
    --net tap=t0 --net tap=t1 --net tap=t2 --net tap=t3 --net tap=t4 --net tap=t5 --net tap=t6 \
    --net tap=t7 --net tap=t8
expect 2 "pvisor: --domid 0: must be a number from 1 to 32751" run --kernel "$work/bz" --domid 0
expect 2 "pvisor: --domid 32752: must be a number from 1 to 32751" run --kernel "$work/bz" --domid 32752
expect 2 "pvisor: --name a/b: must be 1 to 64 characters of A-Z a-z 0-9 _ . -" run --kernel "$work/bz" --name a/b
for opt in "--domid N" "--name NAME" "vmm.sock" "console.sock"; do
    "$pvisor" run --help | grep -qF -- "$opt" || { echo "FAIL: run --help lacks $opt"; fails=$((fails + 1)); }
done
# --restore: a stream refused before any VM exists, with the reader's code (docs/save-format.md).
expect 2 "pvisor: run: --kernel and --restore exclude each other" run --kernel "$work/bz" --restore "$work/x"
expect 2 "pvisor: --restore: the domain's memory, vCPUs and devices come from the file (no --initrd, --disk or --net)" \
    run --restore "$work/x" --disk "$work/zeros"
expect 1 "pvisor: --restore: $work/missing.sav: No such file or directory" run --restore "$work/missing.sav"
expect 1 "pvisor: --restore: $work/zeros: not a pvisor save stream (no PVISORSV magic) [bad_magic]" \
    run --restore "$work/zeros"
printf 'PVISORSV\002\000\000\000\000\000\000\000' >"$work/v2.sav"
expect 1 "pvisor: --restore: $work/v2.sav: stream version 2 is not supported (this pvisor reads version 1) [bad_version]" \
    run --restore "$work/v2.sav"
printf 'PVISORSV\001' >"$work/short.sav"
expect 1 "pvisor: --restore: $work/short.sav: byte 0: stream header: stream ends 9 bytes into 16 [truncated]" \
    run --restore "$work/short.sav"
printf 'PVISORSV\001\000\000\000\000\000\000\000' >"$work/empty.sav"
expect 1 "pvisor: --restore: $work/empty.sav: byte 16: stream ends without an end record [truncated]" \
    run --restore "$work/empty.sav"
# A DOMAIN record header claiming 16 MiB (checked before anything is read or allocated).
printf 'PVISORSV\001\000\000\000\000\000\000\000\001\000\000\000\001\000\000\000\000\000\000\001\000\000\000\000' >"$work/big.sav"
expect 1 "pvisor: --restore: $work/big.sav: record 0 (domain) at byte 16: length 16777216 exceeds the limit of 4194304 [too_large]" \
    run --restore "$work/big.sav"
PVISOR_KVM_DEVICE=/nonexistent expect 1 "pvisor: /nonexistent: No such file or directory" run --kernel "$work/bz"
expect 0 "" version
# A run that fails leaves <control dir>/exit saying so (and removes an old one first).
mkdir "$work/ctl"
echo "status=0 reason=old" >"$work/ctl/exit"
expect 1 "not a bzImage" run --kernel "$work/notkernel" --control "$work/ctl"
if [ "$(cat "$work/ctl/exit")" != "status=1 reason=$work/notkernel: not a bzImage (no \"HdrS\" setup header)" ]; then
    echo "FAIL: exit record after a failed start: $(cat "$work/ctl/exit")"
    fails=$((fails + 1))
fi

[ "$fails" = 0 ] && echo "e2e-badinput: all cases passed"
exit "$fails"
