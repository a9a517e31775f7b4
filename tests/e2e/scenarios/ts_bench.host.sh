# ts_bench: the toolstack's figures, read by bench/toolstack/toolstack-bench from the
# PVTEST-BENCH lines. Every guest, pvisor's and QEMU's, has 128 MiB, one vCPU, a raw disk and
# a NIC on the bridge, and runs scenarios/ts_idle.sh; pvisor-ts-probe does the measuring.
#  1. boot: from `pvisor create` to the guest's init (PVTEST-INIT), beside QEMU microvm started
#     by hand with the same kernel, initramfs, memory and devices, three times each;
#  2. list: `pvisor list` latency with one idle domain and with eight, beside `pvisor --help`
#     (the same program started, no request: what exec alone costs there);
#  3. mem: host memory per idle domain beyond its guest RAM (PSS of its VMM and backends plus
#     an eighth of the service's), beside one idle QEMU's.
ts_scenario=ts_idle
ts_memory=128
ram_kib=$((ts_memory * 1024))
probe=pvisor-ts-probe
runs=3
guests=8
cmdline="panic=-1 quiet pvtest.scenario=ts_idle pvtest.vmm=qemu${PVTEST_L2_EXTRA:+ $PVTEST_L2_EXTRA}"

# qemu_cmd N: QEMU microvm as a user would start it, with a virtio disk and a TAP NIC.
qemu_cmd() {
    dd if=/dev/zero of="/tmp/q$1.img" bs=1M count=16 2>/dev/null
    echo /usr/bin/qemu -enable-kvm -M microvm -cpu host -m "$ts_memory" -smp 1 -nographic \
        -no-reboot -kernel "$PVTEST_KERNEL" -initrd "$PVTEST_INITRD" \
        -drive "id=d0,file=/tmp/q$1.img,format=raw,if=none" -device virtio-blk-device,drive=d0 \
        -netdev "tap,id=n0,ifname=qtap$1,script=no,downscript=no" \
        -device virtio-net-device,netdev=n0
}
# bench_cfg NAME: the idle domain's config, with its own disk and a vif on the bridge.
bench_cfg() {
    dd if=/dev/zero of="/tmp/$1.img" bs=1M count=16 2>/dev/null
    ts_cfg "$1" "disk = [ \"/tmp/$1.img,raw,xvda,rw\" ]" 'vif = [ "bridge=pvbr0" ]'
}
vmm_log() { echo "$PVISOR_RUN_DIR/dom/$1/vmm.log"; }
# pid_of GLOB: the process whose command line (arguments joined by spaces) matches GLOB.
pid_of() {
    for d in /proc/[0-9]*; do
        c=$( (tr '\0' ' ' <"$d/cmdline") 2>/dev/null) || continue
        # shellcheck disable=SC2254 # GLOB is a pattern
        case $c in $1) echo "${d#/proc/}"; return 0 ;; esac
    done
    return 1
}
idle() { grep -q PVTEST-IDLE "$1" 2>/dev/null; }

"$P" list >/dev/null || ts_fail "the toolstack service does not start"

# 1. boot
for run in $(seq $runs); do
    cfg=$(bench_cfg ts-boot)
    got=$("$probe" boot --timeout 600 PVTEST-INIT "$PVISOR_RUN_DIR/dom/*/vmm.log" -- \
        "$P" create "$cfg") || ts_fail "pvisor create to init, run $run"
    echo "PVTEST-BENCH boot run=$run vmm=pvisor ${got%% pid=*}"
    id=$(ts_domid ts-boot)
    ts_wait 300 1 idle "$(vmm_log "$id")" || ts_fail "ts-boot never idled"
    echo "PVTEST-BENCH seen $(grep -o 'PVTEST-IDLE.*' "$(vmm_log "$id")")"
    "$P" destroy ts-boot || ts_fail "destroy ts-boot"

    # shellcheck disable=SC2046 # qemu_cmd prints words
    got=$("$probe" boot --timeout 600 --out /tmp/qemu-boot.log PVTEST-INIT /tmp/qemu-boot.log -- \
        $(qemu_cmd boot) -append "console=ttyS0 $cmdline" </dev/null) ||
        ts_fail "QEMU to init, run $run"
    echo "PVTEST-BENCH boot run=$run vmm=qemu ${got%% pid=*}"
    pid=${got##*pid=}
    ts_wait 300 1 idle /tmp/qemu-boot.log || ts_fail "QEMU's guest never idled"
    echo "PVTEST-BENCH seen $(grep -o 'PVTEST-IDLE.*' /tmp/qemu-boot.log)"
    kill "$pid" 2>/dev/null
    ts_wait 30 1 sh -c "! kill -0 $pid 2>/dev/null"
done

# 2. list, with one idle domain and then eight; each domain idles before the next starts.
for n in $(seq $guests); do
    "$P" create "$(bench_cfg "ts-idle$n")" >/dev/null || ts_fail "create ts-idle$n"
    id=$(ts_domid "ts-idle$n")
    ts_wait 600 1 idle "$(vmm_log "$id")" || ts_fail "ts-idle$n never idled"
    if [ "$n" = 1 ] || [ "$n" = "$guests" ]; then
        sleep 5
        got=$("$probe" latency --runs 30 -- "$P" list) || ts_fail "pvisor list"
        echo "PVTEST-BENCH list domains=$n $got"
        # The same binary started without a request: what exec alone costs here.
        got=$("$probe" latency --runs 30 -- "$P" --help) || ts_fail "pvisor --help"
        echo "PVTEST-BENCH exec domains=$n $got"
    fi
done
listed=$("$P" list | grep -c ' running ')
value idle_domains_listed "$listed"

# 3. mem: each idle domain's VMM and backends, and its share of the service.
sleep 10
service=$(cat "$PVISOR_RUN_DIR/pvisord.lock")
svc=$("$probe" mem --ram-kib $ram_kib "$service") || ts_fail "memory of the service"
share=$((${svc##*total_kib=} / guests))
for n in $(seq $guests); do
    id=$(ts_domid "ts-idle$n")
    vmm=$(pid_of "*pvisor run *--domid $id --name *")
    blk=$(pid_of "*pvisor-blkback --store *--domid $id --control *")
    net=$(pid_of "*pvisor-netback --store *--domid $id --control *")
    out=$("$probe" mem --ram-kib $ram_kib "$vmm" "$blk" "$net") ||
        { ts_fail "memory of domain $id"; continue; }
    kib() { echo "$out" | sed -n "${1}s/.* pss_kib=\([0-9]*\) .*/\1/p"; }
    total=${out##*total_kib=}
    echo "PVTEST-BENCH mem vmm=pvisor dom=$id vmm_kib=$(kib 1) blkback_kib=$(kib 2)" \
        "netback_kib=$(kib 3) service_share_kib=$share total_kib=$((total + share))"
done
echo "PVTEST-BENCH service domains=$guests $(echo "$svc" | tail -n 1)"

# shellcheck disable=SC2046
got=$("$probe" boot --timeout 600 --out /tmp/qemu-idle.log PVTEST-IDLE /tmp/qemu-idle.log -- \
    $(qemu_cmd idle) -append "console=ttyS0 $cmdline" </dev/null) || ts_fail "QEMU never idled"
pid=${got##*pid=}
sleep 10
out=$("$probe" mem --ram-kib $ram_kib "$pid") || ts_fail "memory of QEMU"
echo "PVTEST-BENCH mem vmm=qemu total_kib=${out##*total_kib=}"
kill "$pid" 2>/dev/null

for n in $(seq $guests); do
    "$P" destroy "ts-idle$n" || ts_fail "destroy ts-idle$n"
done
value bench_done ok
