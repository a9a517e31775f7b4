#!/usr/bin/env python3
"""mgmt.py: a running `pvisor run` driven through its control directory as the toolstack
does: vmm.sock (info, pause, unpause, vcpu-pin, bad requests, destroy), console.sock (history,
then live output) and the exit record. The guest is a minimal bzImage whose 64-bit entry
writes '.' to COM1 in a loop, so that progress shows on stdout without a Linux boot.

usage: mgmt.py PVISOR        (exit 77, skipped, without /dev/kvm)
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

from bzimage import write_bzimage

EXIT_STOPPED = 7
fails = 0


def dotting_bzimage(path):
    write_bzimage(path, bytes([
        0x66, 0xBA, 0xF8, 0x03,          # mov $0x3f8,%dx
        0xB0, 0x2E, 0xEE,                # loop: mov $'.',%al; out %al,(%dx)
        0xB9, 0x00, 0x00, 0x10, 0x00,    # mov $0x100000,%ecx
        0xFF, 0xC9, 0x75, 0xFC,          # delay: dec %ecx; jnz delay
        0xEB, 0xF2]))                    # jmp loop


def check(name, ok, detail=""):
    global fails
    if ok:
        print(f"ok: {name}")
    else:
        fails += 1
        print(f"FAIL: {name} {detail}")


def wait_for(cond, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


class Mgmt:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(path)
        self.buf = b""

    def raw(self, line):
        self.sock.sendall(line)
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("vmm.sock closed")
            self.buf += chunk
        reply, self.buf = self.buf.split(b"\n", 1)
        return json.loads(reply)

    def call(self, **req):
        return self.raw(json.dumps(req).encode() + b"\n")


def main():
    pvisor = sys.argv[1]
    if not os.path.exists("/dev/kvm"):
        print("skip: no /dev/kvm")
        return 77
    with tempfile.TemporaryDirectory() as work:
        kernel = os.path.join(work, "dots.bz")
        dotting_bzimage(kernel)
        ctl = os.path.join(work, "ctl")
        os.mkdir(ctl)
        out_path = os.path.join(work, "stdout")
        with open(out_path, "wb") as out:
            proc = subprocess.Popen([pvisor, "run", "--kernel", kernel, "--memory", "64M",
                                     "--vcpus", "2", "--control", ctl, "--domid", "7",
                                     "--name", "cli-test"],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE)
        try:
            run_checks(proc, ctl, out_path)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return 1 if fails else 0


def run_checks(proc, ctl, out_path):
    size = lambda: os.path.getsize(out_path)
    vmm = os.path.join(ctl, "vmm.sock")
    check("vmm.sock appears", wait_for(lambda: os.path.exists(vmm)))
    check("vmm.sock is mode 0600", os.stat(vmm).st_mode & 0o777 == 0o600)
    check("the guest prints", wait_for(lambda: size() > 3))
    m = Mgmt(vmm)

    info = m.call(op="info")
    check("info", info.get("ok") is True and info["state"] == "running" and info["domid"] == 7
          and info["name"] == "cli-test" and info["memory_bytes"] == 64 << 20
          and info["rss_kb"] > 0 and len(info["vcpus"]) == 2
          and all(v["tid"] > 0 for v in info["vcpus"])
          and info["counters"].get("vcpu0.exits.pio", 0) > 0, info)

    check("pause", m.call(op="pause") == {"ok": True})
    check("pause again", m.call(op="pause") == {"ok": True})
    check("info says paused", m.call(op="info")["state"] == "paused")
    frozen = size()
    time.sleep(0.5)
    check("no output while paused", size() == frozen, f"{frozen} -> {size()}")
    check("unpause", m.call(op="unpause") == {"ok": True})
    check("output after unpause", wait_for(lambda: size() > frozen))

    allowed = sorted(os.sched_getaffinity(0))
    check("vcpu-pin", m.call(op="vcpu-pin", vcpu=1, cpus=[allowed[-1]]) == {"ok": True})
    info = m.call(op="info")
    check("info shows the pin", info["vcpus"][1]["affinity"] == [allowed[-1]], info["vcpus"])
    check("pinned thread", os.sched_getaffinity(info["vcpus"][1]["tid"]) == {allowed[-1]})
    r = m.call(op="vcpu-pin", vcpu=0, cpus=[4096])
    check("pin to a CPU the host lacks", r.get("error", {}).get("code") == "invalid_argument"
          and "cpu 4096" in r["error"]["message"], r)
    r = m.call(op="vcpu-pin", vcpu=2, cpus=[0])
    check("pin a vCPU the guest lacks", r.get("error", {}).get("code") == "invalid_argument", r)
    r = m.raw(b"nonsense\n")
    check("not JSON", r == {"ok": False, "error": {"code": "bad_request",
                                                   "message": "request is not valid JSON"}}, r)
    r = m.call(op="reboot")
    check("unknown op", r.get("error", {}).get("code") == "unknown_op", r)

    con = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    con.settimeout(20)
    con.connect(os.path.join(ctl, "console.sock"))
    history = con.recv(65536)
    check("console history", len(history) > 0 and set(history) == {ord(".")}, history[:40])
    live = con.recv(65536)
    check("console live output", len(live) > 0 and set(live) == {ord(".")}, live[:40])

    check("destroy", m.call(op="destroy") == {"ok": True})
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        check("pvisor exits after destroy", False)
        return
    err = err.decode(errors="replace")
    check("exit status 7", proc.returncode == EXIT_STOPPED, proc.returncode)
    check("reason on stderr", "pvisor: destroyed by the toolstack; exit status 7" in err, err)
    with open(os.path.join(ctl, "exit")) as f:
        record = f.read()
    check("exit record", record == "status=7 reason=destroyed by the toolstack\n", repr(record))
    check("sockets removed", not os.path.exists(vmm)
          and not os.path.exists(os.path.join(ctl, "console.sock")))


if __name__ == "__main__":
    sys.exit(main())
