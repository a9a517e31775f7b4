#!/usr/bin/env python3
"""stop.py: pvisor stops a running guest in order, with exit status 7 and a one-line reason,
on SIGTERM, SIGINT and SIGHUP and on Ctrl-] typed on its terminal; the terminal it put in raw
mode comes back as it was. The guest is a minimal bzImage whose 64-bit entry spins, so that
no Linux boot is needed (any KVM runs it).

usage: stop.py PVISOR
"""
import os
import pty
import signal
import subprocess
import sys
import tempfile
import termios
import time

from bzimage import write_bzimage

EXIT_STOPPED = 7


def spinning_bzimage(path):
    write_bzimage(path, b"\xeb\xfe")  # jmp .


def wait_running(proc, seconds=20.0):
    """True once the guest's vCPU thread exists (pvisor has more than its main thread)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if len(os.listdir(f"/proc/{proc.pid}/task")) > 2:
                return True
        except FileNotFoundError:
            return False
        time.sleep(0.05)
    return False


def run(pvisor, kernel, stdin, stop):
    proc = subprocess.Popen([pvisor, "run", "--kernel", kernel, "--memory", "64M"],
                            stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if not wait_running(proc):
        proc.kill()
        return None, "pvisor did not start: " + proc.communicate()[1].decode(errors="replace")
    stop(proc)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None, "pvisor did not stop within 30 s"
    return proc.returncode, err.decode(errors="replace")


def check(name, status, err, want):
    if status == EXIT_STOPPED and want in err:
        print(f"ok: {name}: status {status}, {err.strip()}")
        return 0
    print(f"FAIL: {name}: status {status} (want {EXIT_STOPPED}), stderr: {err.strip()!r} "
          f"(want {want!r})")
    return 1


def main():
    pvisor = sys.argv[1]
    if not os.path.exists("/dev/kvm"):
        print("skip: no /dev/kvm (the kvm suite needs the host's KVM)")
        return 77
    fails = 0
    with tempfile.TemporaryDirectory() as work:
        kernel = os.path.join(work, "spin.bz")
        spinning_bzimage(kernel)
        for signame in ("SIGTERM", "SIGINT", "SIGHUP"):
            signo = getattr(signal, signame)
            status, err = run(pvisor, kernel, subprocess.DEVNULL, lambda p: p.send_signal(signo))
            fails += check(signame, status, err, f"pvisor: stopped by {signame}; exit status 7")

        master, slave = pty.openpty()
        before = termios.tcgetattr(slave)

        def escape(proc):
            # Raw mode is set after the vCPUs exist; give pvisor a moment, then type.
            deadline = time.monotonic() + 10
            while termios.tcgetattr(slave)[3] & termios.ICANON and time.monotonic() < deadline:
                time.sleep(0.05)
            os.write(master, b"ls\x1d")

        status, err = run(pvisor, kernel, slave, escape)
        fails += check("Ctrl-]", status, err, "pvisor: stopped from the console (Ctrl-]); exit status 7")
        after = termios.tcgetattr(slave)
        if after != before:
            print(f"FAIL: terminal attributes not restored: {before} -> {after}")
            fails += 1
        os.close(master)
        os.close(slave)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
