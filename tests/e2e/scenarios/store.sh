# store: pvcore's config store client and pvbus under pvisor (e2e-store).
#
# Through /sys/kernel/debug/pvcore/store (pvbus_debugfs.c): the guest reads and writes its own
# keys under its home by relative paths, is refused another domain's subtree (EACCES), sees a
# host-side write fire its watch, pvbus adds and removes a device for device/<type>/<id>, and
# a test frontend walks the state handshake against a backend played from this shell.
# Host half: the guest prints "PVTEST-HOST-STORE-WRITE PATH VALUE"; run-l2.sh does that write
# with `pvisor store write` on the guest's control socket.
s=/sys/kernel/debug/pvcore/store
[ -w $s ] || fail "no $s"
# cmd "verb args": runs one command and prints the whole result ("OK" / "ERR <errno> <name>"
# on the first line, then the command's lines). Used inside $(...), so it never calls fail:
# a failed write shows as "ERR write" and fails the comparison that follows.
cmd() { echo "$1" >$s 2>/dev/null && cat $s || echo "ERR write"; }
status() { cmd "$1" | head -n 1; }
expect() {
    got=$(status "$1")
    [ "$got" = "$2" ] || fail "'$1': $got (expected $2)"
}
# The value a successful read returns (second line), else "<the error line>".
readval() {
    res=$(cmd "read $1")
    if [ "$(echo "$res" | head -n 1)" = OK ]; then
        echo "$res" | sed -n 2p
    else
        echo "<$(echo "$res" | head -n 1)>"
    fi
}

# Home: the toolstack's keys, read relative and absolute.
domid=$(readval domid)
value domid "$domid"
case "$domid" in '' | *[!0-9]*) fail "domid '$domid'" ;; esac
home=/local/domain/$domid
value name "$(readval name)"
got=$(readval "$home/domid")
[ "$got" = "$domid" ] || fail "absolute domid read: $got"

# Own keys: write, read back both ways, list, remove.
expect "write data/pvtest hello store" OK
got=$(readval data/pvtest)
[ "$got" = "hello store" ] || fail "data/pvtest read back: $got"
got=$(readval "$home/data/pvtest")
[ "$got" = "hello store" ] || fail "absolute read back: $got"
cmd "ls data" | grep -qx pvtest || fail "ls data: $(cmd 'ls data' | tr '\n' ' ')"
expect "rm data/pvtest" OK
expect "read data/pvtest" "ERR -2 ENOENT"
# The toolstack's read-only keys stay read-only.
expect "write domid 7" "ERR -13 EACCES"

# Another domain's subtree: no read, no list, no write.
expect "read /local/domain/0" "ERR -13 EACCES"
expect "ls /local/domain/0/backend" "ERR -13 EACCES"
expect "write /local/domain/0/pvtest x" "ERR -13 EACCES"
value denied EACCES

# A watch: its first event at once, then the host's write.
expect "watch data/kick" OK
kicked() { cmd events | grep -qx data/kick; }
wait_until 20 0.2 kicked || fail "no initial watch event"
echo "PVTEST-HOST-STORE-WRITE $home/data/kick 42"
wait_until 60 1 kicked || fail "host write never fired the watch (host half missing?)"
got=$(readval data/kick)
[ "$got" = 42 ] || fail "data/kick after the host write: $got"
expect "unwatch data/kick" OK
value watch fired

# pvbus: a device node under device/ becomes a pvbus device and goes away with its node.
expect "write device/vtest/0/backend $home/data/backend-vtest" OK
expect "write device/vtest/0/backend-id 0" OK
d=/sys/bus/pvbus/devices/vtest-0
wait_until 20 0.2 test -e $d || fail "no pvbus device vtest-0"
[ "$(cat $d/nodename)" = device/vtest/0 ] || fail "nodename $(cat $d/nodename)"
[ "$(cat $d/devtype)" = vtest ] || fail "devtype $(cat $d/devtype)"
[ "$(cat $d/otherend)" = "$home/data/backend-vtest" ] || fail "otherend $(cat $d/otherend)"
expect "rm device/vtest" OK
wait_until 20 0.2 test ! -e $d || fail "pvbus device vtest-0 not removed"
value pvbus added_removed

# pvbus handshake: the "vtest" frontend (pvbus_testdrv.c) against a backend this shell plays
# under the guest's own data/ (backend-id 0 is only a number here).
be=$home/data/be-vtest1
d1=/sys/bus/pvbus/devices/vtest-1
until_state() {
    wait_until 50 0.2 output_is "$1" readval device/vtest/1/state ||
        fail "frontend state $(readval device/vtest/1/state), expected $1 ($2)"
}
expect "write $be/state 1" OK
expect "write device/vtest/1/backend $be" OK
expect "write device/vtest/1/backend-id 0" OK
expect "testdrv on" OK
wait_until 20 0.2 test -e $d1/driver || fail "vtest-1 not bound to the test frontend"
until_state 1 probe
expect "write $be/state 2" OK
until_state 3 "backend InitWait"
expect "write $be/state 4" OK
until_state 4 "backend Connected"
expect "write $be/state 6" OK
until_state 6 "backend Closed"
wait_until 20 0.2 test ! -e $d1 || fail "vtest-1 not unplugged after the backend closed"
[ "$(readval device/vtest/1/backend)" = "$be" ] || fail "device/vtest/1 should outlive the unplug"
log=$(cmd "testdrv log" | tr '\n ' ,_)
value testdrv "$log"
case "$log" in
    OK,probe_vtest-1,*backend_vtest-1_2,*backend_vtest-1_4,*backend_vtest-1_6,*remove_vtest-1,) ;;
    *) fail "testdrv log: $log" ;;
esac
expect "testdrv off" OK
expect "rm device/vtest" OK
value handshake "1,3,4,6"

stats=$(cmd stats | sed -n 2p)
value stats "$(echo "$stats" | tr ' ' ,)"
case "$stats" in
    *"connected=1 "*"stray_replies=0 "*"bad_events=0 dropped_events=0 broken=0 "*) ;;
    *) fail "stats: $stats" ;;
esac
result pass
