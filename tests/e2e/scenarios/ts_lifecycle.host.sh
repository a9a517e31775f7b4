# ts_lifecycle: one guest through the lifecycle a toolstack owes its users (e2e-lifecycle):
# create from an xl.cfg; pause (its vCPU exits and PV timer ticks stop growing) and unpause;
# a disk attached while it runs, written and read back with checksums, detached; a network
# interface attached and pinged through; mem-set down (the VMM's RSS falls); kill -9 of the
# service (the guest goes on; the restarted service lists it and can still reach it through
# its store); reboot with on_reboot=restart (back under its name, a new id); shutdown -w;
# and destroy.
counter() { # counter DOM NAME: one of the VMM's counters, from `pvisor list -l`
    "$P" list -l "$1" | grep "\"$2\":" | head -n 1 | tr -dc 0-9
}
rss_kb() { "$P" list -l "$1" | grep '"rss_kb":' | head -n 1 | tr -dc 0-9; }
# The PV timer as the tick device: each of its programmings is an exit pvisor counts, so the
# VMM's exits and timer fires show whether the guest runs (pause, unpause). With the default
# local APIC tick an idle guest makes almost no exit that reaches pvisor.
PVTEST_L2_EXTRA="${PVTEST_L2_EXTRA:+$PVTEST_L2_EXTRA }pvcore.timer=pv"
cfg=$(ts_cfg ts-life 'on_reboot = "restart"' 'on_poweroff = "destroy"')
"$P" create "$cfg" || ts_fail "create"
id=$(ts_agent ts-life) || id=none
value created "$([ -n "$id" ] && [ "$id" != none ] && echo ok)"
# Bad requests change nothing: a second domain of the same name, a CPU the host lacks.
err=$("$P" create "$cfg" 2>&1) && ts_fail "a second create of ts-life was accepted"
value second_create "$(echo "$err" | grep -c 'a domain named ts-life exists')"
"$P" vcpu-pin ts-life 0 99 2>/dev/null && ts_fail "vcpu-pin to CPU 99 was accepted"
"$P" vcpu-pin ts-life 0 0 && value vcpu_pin ok

# 2-3. pause: nothing of the guest runs; unpause: it runs on.
"$P" pause ts-life || ts_fail "pause"
value paused_state "$(ts_state ts-life)"
e1=$(counter ts-life exits) t1=$(counter ts-life timer.fires)
sleep 5
e2=$(counter ts-life exits) t2=$(counter ts-life timer.fires)
value paused_exits "$([ -n "$e1" ] && [ "$e1" = "$e2" ] && echo frozen || echo "$e1-$e2")"
value paused_ticks "$([ -n "$t1" ] && [ "$t1" = "$t2" ] && echo frozen || echo "$t1-$t2")"
"$P" block-attach ts-life "format=raw,vdev=xvdc,access=rw,target=/tmp/none.img" 2>/dev/null &&
    ts_fail "block-attach to a paused domain was accepted"
"$P" unpause ts-life || ts_fail "unpause"
value unpaused "$(ts_run "$id" 'echo alive')"
e3=$(counter ts-life exits)
value unpaused_exits "$([ -n "$e3" ] && [ "$e3" -gt "$e2" ] && echo growing)"

# 4. A disk attached to the running guest, 4 MiB written and read back, compared on the host.
dd if=/dev/zero of=/tmp/hot.img bs=1M count=16 2>/dev/null
"$P" block-attach ts-life "format=raw,vdev=xvdb,access=rw,target=/tmp/hot.img" ||
    ts_fail "block-attach"
ts_run "$id" 'wait_until 60 0.5 test -b /dev/xvdb' >/dev/null || ts_fail "no /dev/xvdb in the guest"
gsum=$(ts_run "$id" 'dd if=/dev/urandom of=/tmp/p bs=64k count=64 2>/dev/null; dd if=/tmp/p of=/dev/xvdb bs=64k oflag=direct 2>/dev/null && sha256sum </tmp/p | cut -d" " -f1')
rsum=$(ts_run "$id" 'dd if=/dev/xvdb bs=64k count=64 iflag=direct 2>/dev/null | sha256sum | cut -d" " -f1')
# `top` shows the 4 MiB written and read through the disk's backend (its metrics file, a
# second old at most).
sleep 2
top=$("$P" top -n 1 | awk '$1 == "ts-life" { print $9, $10 }')
value top_blk "$(echo "$top" | awk '$1 >= 4 && $2 >= 4 { print "ok"; exit } { print $1 "/" $2 }')"
"$P" block-detach ts-life xvdb || ts_fail "block-detach"
hsum=$(dd if=/tmp/hot.img bs=64k count=64 2>/dev/null | sha256sum | cut -d' ' -f1)
value blk_round_trip "$([ -n "$gsum" ] && [ "$gsum" = "$rsum" ] && [ "$gsum" = "$hsum" ] && echo ok || echo "$gsum/$rsum/$hsum")"
ts_run "$id" 'wait_until 60 0.5 test ! -b /dev/xvdb' >/dev/null && value blk_detached ok ||
    value blk_detached "still there"
value block_list_after "$("$P" block-list ts-life | grep -c '"vdev"')"

# 5. A network interface attached while it runs, on the bridge: the guest pings the host.
"$P" network-attach ts-life bridge=pvbr0 || ts_fail "network-attach"
ping=$(ts_run "$id" 'wait_until 60 0.5 test -e /sys/class/net/eth0 && ip link set eth0 up && ip addr add 10.99.0.5/24 dev eth0 && ping -c 3 -W 2 10.99.0.1 >/dev/null && echo ok')
value net_ping "$ping"

# 6. mem-set down: the balloon gives back pages the guest had touched; the VMM's RSS falls.
ts_run "$id" 'dd if=/dev/zero of=/tmp/fill bs=1M count=120 2>/dev/null; rm /tmp/fill; echo done' >/dev/null
r1=$(rss_kb ts-life)
"$P" mem-set ts-life 96m || ts_fail "mem-set"
ts_wait 120 1 sh -c "[ \"\$($P list -l ts-life | grep '\"balloon.pages\":' | tr -dc 0-9)\" -ge 32768 ]" ||
    ts_fail "the balloon did not give back 128 MiB"
r2=$(rss_kb ts-life)
value rss_fell "$([ -n "$r1" ] && [ -n "$r2" ] && [ $((r1 - r2)) -gt 65536 ] && echo ok || echo "$r1->$r2")"
"$P" mem-set ts-life 4g 2>/dev/null && ts_fail "mem-set above maxmem was accepted"

# 10. kill -9 the service: the guest goes on; the service, started again by the next command,
# takes it back: listed, reachable through its store, its watches intact (shutdown below).
svc=$(cat "$PVISOR_RUN_DIR/pvisord.lock")
vmm=$("$P" list -l ts-life | grep '"vmm_pid":' | head -n 1 | tr -dc 0-9)
kill -9 "$svc"
sleep 2
value vmm_survived "$(kill -0 "$vmm" 2>/dev/null && echo ok)"
value relisted "$(ts_state ts-life)"
value reached_after_restart "$(ts_run "$id" 'echo reached')"

# 8. reboot with on_reboot=restart: the same name comes back with a new domain id.
"$P" reboot -w ts-life || ts_fail "reboot -w"
id2=$(ts_agent ts-life) || id2=none
value rebooted "$([ "$id2" != none ] && [ "$id2" != "$id" ] && echo new_id)"

# 7. shutdown -w: cooperative, through control/shutdown; on_poweroff=destroy: it is gone.
"$P" shutdown -w -t 120 ts-life && value shutdown_w ok || value shutdown_w failed
value gone "$([ -z "$(ts_domid ts-life)" ] && echo ok)"

# 9. destroy, at once, of a domain that has not even booted.
"$P" create "$cfg" >/dev/null || ts_fail "create again"
"$P" destroy ts-life && value destroyed "$([ -z "$(ts_domid ts-life)" ] && echo ok)"
"$P" destroy ts-life 2>/dev/null && ts_fail "destroy of a gone domain was accepted"
