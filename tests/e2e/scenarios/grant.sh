# grant: pvcore's grant table under pvisor and a test backend (e2e-grant).
#
# Guest half (this file): pvcore's self-test copies through pvisor's GNTTABOP_copy and sees
# the refusals (read-only, revoked, bad ref, page end); grant/end cycles leak nothing.
#
# Host half (backend-qemu-shim/tools/pvisor-grant-probe, run by run-l2.sh on the line
# PVTEST-HOST-GRANT-PROBE RW RO REVOKED, attached through pvisor's control socket): on
#   PVTEST-VALUE grant_rw=ref=<r> gfn=<g>   write pattern(165) over the whole page: bytes
#                                           0..2047 by grant copy, 2048..4095 through a
#                                           pinned (mapped) grant, then unpin
#   PVTEST-VALUE grant_ro=ref=<r> gfn=<g>   a write must be refused (read_only counter)
#   PVTEST-VALUE grant_revoked=ref=<r> ...  ended before it was announced: refused
# pattern(seed) byte i = (seed + 7 * i) & 0xff. The guest then checks the page.
g=/sys/kernel/debug/pvcore/grant
[ -w $g ] || fail "no $g"
# ask CMD: writes CMD to the control file and leaves the first line of its answer in $reply,
# with shell builtins only (each fork costs the guest exits under shadow paging).
ask() { echo "$1" >$g || fail "write '$1'"; read -r reply <$g; }
cmd() { ask "$1" && echo "$reply"; }
gstat() { tail -n 1 $g | tr ' ' '\n' | sed -n "s/^$1=//p"; }

res=$(cmd selftest)
value selftest "$(echo "$res" | tr ' ' ,)"
[ "$res" = "grant selftest ok" ] || fail "selftest: $res"
[ "$(gstat frames)" -ge 1 ] || fail "no grant frames: $(tail -n 1 $g)"

# 200 grant/end cycles: every end is immediate (nobody maps these pages) and no ref leaks.
free0=$(gstat free)
i=0
while [ $i -lt 200 ]; do
    ask "grant rw $i"
    case $reply in ref=[0-9]*) ;; *) fail "grant $i: $reply" ;; esac
    ref=${reply#ref=}
    ref=${ref%% *}
    ask "check $ref $i"
    [ "$reply" = "check ref=$ref ok" ] || fail "check $i: $reply"
    ask "end $ref"
    [ "$reply" = "end ref=$ref ok" ] || fail "end $i: $reply"
    i=$((i + 1))
done
value cycles_free "$free0,$(gstat free)"
[ "$(gstat free)" = "$free0" ] || fail "refs leaked: $free0 -> $(gstat free)"
[ "$(gstat deferred)" = 0 ] && [ "$(gstat leaked)" = 0 ] || fail "stats: $(tail -n 1 $g)"

# Host half: grants for the test backend.
rw=$(cmd "grant rw 0")
ro=$(cmd "grant ro 9")
rv=$(cmd "grant rw 3")
rv_ref=$(echo "$rv" | sed -n 's/^ref=\([0-9]*\) .*/\1/p')
[ "$(cmd "end $rv_ref")" = "end ref=$rv_ref ok" ] || fail "revoke"
value grant_rw "$rw"
value grant_ro "$ro"
value grant_revoked "$rv"
rw_ref=$(echo "$rw" | sed -n 's/^ref=\([0-9]*\) .*/\1/p')
ro_ref=$(echo "$ro" | sed -n 's/^ref=\([0-9]*\) .*/\1/p')
echo "PVTEST-HOST-GRANT-PROBE $rw_ref $ro_ref $rv_ref"
wait_until 60 1 output_is "check ref=$rw_ref ok" cmd "check $rw_ref 165" ||
    fail "backend pattern missing: $(head -n 1 $g) (host half not present?)"
[ "$(cmd "check $ro_ref 9")" = "check ref=$ro_ref ok" ] || fail "read-only page changed"
cmd "end $rw_ref" >/dev/null
cmd "end $ro_ref" >/dev/null
# A backend still pinning a page defers its end; the retry work frees it within seconds.
wait_until 10 1 output_is 0 gstat deferred || fail "deferred grants never freed: $(tail -n 1 $g)"
value stats "$(tail -n 1 $g | tr ' ' ,)"
result pass
