#!/bin/busybox sh
# l2-init.sh: /init of the guest under test. Mounts the pseudo filesystems, loads the PV
# modules when the VMM is pvisor, runs the scenario named on the kernel command line
# (pvtest.scenario=NAME) and powers off. Every line the host reads starts with PVTEST-.
/bin/busybox --install -s /bin
mount -t proc proc /proc
echo PVTEST-INIT
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

arg() {
    for word in $(cat /proc/cmdline); do
        case $word in pvtest.$1=*) echo "${word#*=}" ;; esac
    done
}
scenario=$(arg scenario)
vmm=$(arg vmm)

# The result line: status pass|fail; the host-side expectations read PVTEST-VALUE lines too.
result() { echo "PVTEST-RESULT name=$scenario status=$1${2:+ detail=$2}"; }
value() { echo "PVTEST-VALUE $1=$2"; }
fail() { result fail "$1"; finish; }
# wait_until TRIES PAUSE COMMAND [ARG...]: runs COMMAND until it succeeds, at most TRIES times,
# PAUSE seconds apart; fails (status 1) if it never does.
wait_until() {
    _wu_left=$1 _wu_pause=$2
    shift 2
    until "$@"; do
        _wu_left=$((_wu_left - 1))
        [ $_wu_left -gt 0 ] || return 1
        sleep "$_wu_pause"
    done
}
# output_is WANT COMMAND [ARG...]: COMMAND prints exactly WANT (its errors unshown).
output_is() {
    _oi_want=$1
    shift
    [ "$("$@" 2>/dev/null)" = "$_oi_want" ]
}
finish() {
    sync
    poweroff -f
    # poweroff -f only returns if the platform has no power-off path: a reset ends the
    # VMM too (QEMU runs with -no-reboot), and the host sees the status it reports.
    reboot -f
    sleep 30
}

# modprobe's rule: the words MODULE.PARAM=VALUE of the kernel command line are MODULE's.
module_args() {
    for word in $(cat /proc/cmdline); do
        case $word in "$1".*=*) echo "${word#"$1".}" ;; esac
    done
}
if [ "$vmm" = pvisor ]; then
    for ko in /modules/*.ko; do
        [ -e "$ko" ] || continue
        name=$(basename "$ko" .ko)
        # shellcheck disable=SC2046 # one word per parameter
        insmod "$ko" $(module_args "${name#[0-9][0-9]-}") || fail "insmod-$(basename "$ko")"
    done
    # From here on the scenario talks through the PV console (what pvisor's stdin feeds).
    if [ -c /dev/hvc0 ]; then
        exec </dev/hvc0 >/dev/hvc0 2>&1
    else
        fail no-hvc0
    fi
fi

echo "PVTEST-START name=$scenario vmm=$vmm"
if [ -f "/scenarios/$scenario.sh" ]; then
    . "/scenarios/$scenario.sh"
else
    fail no-such-scenario
fi
finish
