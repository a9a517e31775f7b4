#!/bin/sh
# gio-setup.sh: the host side of guest-io-bench's network and disk, on the machine whose KVM
# runs the guests (the L1 machine, or this host on the direct platform): a TAP with the
# address 10.77.0.1/24 (local only: no route, no bridge), iperf3 listening on it, and a
# RAM-backed disk image. `down` removes all three.
#
# usage: gio-setup.sh up TAP IMAGE MIB | gio-setup.sh down TAP IMAGE
set -u
action=$1 tap=$2 image=$3
pidfile=/tmp/gio-iperf3.pid

case $action in
up)
    mib=$4
    # iproute2's ip on a host; busybox's ip (L1) has no tuntap, its tunctl does the same.
    ip tuntap add dev "$tap" mode tap 2>/dev/null || tunctl -t "$tap" >/dev/null ||
        { echo "PVTEST-GIO-ERROR no TAP $tap"; exit 1; }
    ip addr add 10.77.0.1/24 dev "$tap"
    ip link set "$tap" up
    iperf3 -s -D -B 10.77.0.1 --pidfile "$pidfile" ||
        { echo "PVTEST-GIO-ERROR iperf3 -s failed"; exit 1; }
    # Written, not sparse: every block of the image is in RAM before the first run.
    dd if=/dev/zero of="$image" bs=1M count="$mib" 2>/dev/null ||
        { echo "PVTEST-GIO-ERROR no image"; exit 1; }
    ;;
down)
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")"
    ip link del "$tap" 2>/dev/null || tunctl -d "$tap" >/dev/null
    rm -f "$image"
    ;;
*)
    echo "usage: gio-setup.sh up TAP IMAGE MIB | down TAP IMAGE" >&2
    exit 2
    ;;
esac
