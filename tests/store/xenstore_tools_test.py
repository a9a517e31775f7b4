#!/usr/bin/env python3
"""xenstore_tools_test.py: Xen's own xenstore clients (Debian's xenstore-utils, Xen 4.17)
work unchanged against pvisor's store socket, and print what they print against Xen's C
xenstored: each program's stdout, stderr and exit status are compared with texts written
here. Each expectation names the Xen 4.17 function it comes from: xenstore_client.c (what
the tools print), libs/store/xs.c (libxenstore: what it sends, how errors become errno) and
xenstored_*.c (what the daemon answers). docs/store.md lists what differs and why.

usage: xenstore_tools_test.py --pvisor PVISOR
           starts `PVISOR store serve --socket TMP --domains 2`
       xenstore_tools_test.py --daemon PVISOR
           starts the toolstack service, `PVISOR daemon` with PVISOR_RUN_DIR=TMP, and runs
           the checks against its store (TMP/xenstored.sock, every domain's store), as for
           --socket
       xenstore_tools_test.py --server-cmd 'CMD ... {socket} ...'
           starts CMD (a store that serves {socket} as the control domain with domains 1 and
           2 introduced and nothing else written), waits for the socket
       xenstore_tools_test.py --socket PATH
           an already running store: only the checks that need no fresh tree run, under
           /xstools-test (removed before and after)
Exit status: 0 pass, 1 fail, 77 skip (xenstore-utils not installed).
"""
import argparse
import os
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77
TOOLS = ["xenstore-ls", "xenstore-read", "xenstore-write", "xenstore-rm", "xenstore-list",
         "xenstore-watch", "xenstore-chmod", "xenstore-exists"]
T = "/xstools-test"  # every path the checks write lies below it

# xenstore-ls (do_ls) pads to column 60 with ". " when -p is given and prints the
# permissions after two spaces; without a terminal it assumes 80 columns.
ENOENT_TEXT = "No such file or directory"


class Failure(Exception):
    pass


class Store:
    """Where the tools connect, and how to reach it with a raw xsd_sockmsg client."""

    def __init__(self, path):
        self.path = path
        self.env = dict(os.environ, XENSTORED_PATH=path)

    def run(self, argv, stdin=None):
        p = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=20,
                           input=stdin)
        return p.stdout, p.stderr, p.returncode

    def raw(self, msg_type, payload):
        """One request on a fresh connection (libxenstore cannot send XS_INTRODUCE/RELEASE
        without a real domain); returns (reply type, payload)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(self.path)
            s.sendall(struct.pack("<IIII", msg_type, 7, 0, len(payload)) + payload)
            hdr = b""
            while len(hdr) < 16:
                hdr += s.recv(16 - len(hdr))
            rtype, _req, _tx, length = struct.unpack("<IIII", hdr)
            body = b""
            while len(body) < length:
                body += s.recv(length - len(body))
            return rtype, body


XS_INTRODUCE, XS_RELEASE, XS_ERROR = 8, 9, 16


class Checker:
    def __init__(self, store):
        self.store = store
        self.failures = []
        self.count = 0

    def expect(self, argv, stdout="", stderr="", rc=0, why=""):
        """Runs argv; its stdout, stderr and status must be exactly the given ones."""
        self.count += 1
        got = self.store.run(argv)
        want = (stdout, stderr, rc)
        if got != want:
            self.failures.append(
                f"{shlex.join(argv)}  [{why}]\n  want: {want!r}\n  got:  {got!r}")

    def expect_watch(self, argv, initial, actions, stdout, why=""):
        """Starts xenstore-watch argv, waits for its `initial` first lines (the events every
        new watch fires at once), runs each action (argv lists, or callables), then expects
        it to exit 0 having printed exactly `stdout`."""
        self.count += 1
        proc = subprocess.Popen(argv, env=self.store.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        lines = []
        try:
            for _ in range(initial):
                line = proc.stdout.readline()
                if not line:
                    break
                lines.append(line)
            for act in actions:
                if callable(act):
                    act()
                else:
                    self.store.run(act)
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err += "(timed out: fewer events than -n)"
        got = ("".join(lines) + out, err, proc.returncode)
        if got != (stdout, "", 0):
            self.failures.append(
                f"{shlex.join(argv)}  [{why}]\n  want: {(stdout, '', 0)!r}\n  got:  {got!r}")


def ls_p(name, value, perms, depth=0):
    """One `xenstore-ls -p` line as do_ls() prints it for a short value: indent, name,
    ' = "value"', a space, then ". " filler from that column up to column 60, two spaces
    and the permissions."""
    line = " " * depth + f'{name} = "{value}"'
    width = len(line)
    line += " "
    width += 1
    while width < 60:
        line += "." if width & 1 else " "
        width += 1
    return f"{line}  ({perms})\n"


def fresh_tree_checks(c):
    """The tree a dom0-only xenstored holds once the toolstack set up dom0 (xenstored_core.c
    setup_structure(): /tool/xenstored; tools/helpers/xen-init-dom0.c: dom0's domid and
    name; every node "n0", inherited from the root)."""
    c.expect(["xenstore-list", "/"], "tool\nlocal\n", why="setup_structure, then /local")
    c.expect(["xenstore-ls", "-p", "/tool"], ls_p("xenstored", "", "n0"),
             why="setup_structure manual_node /tool/xenstored")
    c.expect(["xenstore-ls", "-p", "/local/domain/0"],
             ls_p("domid", "0", "n0") + ls_p("name", "Domain-0", "n0"),
             why="xen-init-dom0 writes DOMID_PATH, DOMNAME_PATH")
    c.expect(["xenstore-list", "/local/domain"], "0\n1\n2\n", why="xen-init-dom0, then 1, 2")
    # A relative path is below the connection's home; a socket client's is /local/domain/0
    # (xenstored_domain.c get_implicit_path).
    c.expect(["xenstore-read", "name"], "Domain-0\n", why="canonicalize + get_implicit_path")


def read_write_checks(c):
    c.expect(["xenstore-write", f"{T}/a/b/c", "v"], why="do_write -> create_node: parents too")
    c.expect(["xenstore-ls", "-f", f"{T}/a"], f'{T}/a/b = ""\n{T}/a/b/c = "v"\n',
             why="do_ls with -f (show_whole_path)")
    c.expect(["xenstore-read", f"{T}/nope"], "", f"xenstore-read: couldn't read path {T}/nope\n",
             1, why="perform MODE_read: warnx, return 1")
    c.expect(["xenstore-read", f"{T}/a/b"], "\n", why="a directory node's value is empty")
    c.expect(["xenstore-exists", f"{T}/nope"], rc=1, why="perform MODE_exists: silent 1")
    c.expect(["xenstore-exists", f"{T}/a/b/c"], why="perform MODE_exists")
    c.expect(["xenstore-list", f"{T}/nope"], "", f"xenstore-list: could not list path {T}/nope\n",
             1, why="perform MODE_list")
    c.expect(["xenstore-ls", f"{T}/nope"], "",
             f"xenstore-ls: xs_directory ({T}/nope): {ENOENT_TEXT}\n", 1,
             why="do_ls: err(1, ...) with ENOENT from send_directory")
    # Several pairs run in one transaction (main(): transaction = more than one pair); the
    # first failure aborts it, so nothing is written.
    c.expect(["xenstore-write", f"{T}/tx/one", "1", f"{T}/tx/two", "2"],
             why="one transaction, committed")
    c.expect(["xenstore-read", "-p", f"{T}/tx/one", f"{T}/tx/two"],
             f"{T}/tx/one: 1\n{T}/tx/two: 2\n", why="MODE_read with -p (prefix)")
    c.expect(["xenstore-write", f"{T}/tx/three", "3", f"{T}/tx/bad path", "4"], "",
             f"xenstore-write: could not write path {T}/tx/bad path\n", 1,
             why="is_valid_nodename: ' ' is EINVAL; xs_transaction_end(abort)")
    c.expect(["xenstore-exists", f"{T}/tx/three"], rc=1, why="the aborted write did not land")
    # Values: xenstore-write unescapes (unsanitise_value), read/ls escape (sanitise_value).
    c.expect(["xenstore-write", f"{T}/esc", r'a\tb\nc\\d\x01"e'], why="unsanitise_value")
    c.expect(["xenstore-read", f"{T}/esc"], 'a\\tb\\nc\\\\d\\001"e\n', why="sanitise_value")
    c.expect(["xenstore-read", "-R", f"{T}/esc"], 'a\tb\nc\\d\x01"e', why="raw: no escaping")
    # Payload limit: libxenstore refuses a request over XENSTORE_PAYLOAD_MAX itself
    # (xs.c xs_talkv: E2BIG); one that fits is stored whole, whatever its size.
    fits = "y" * (4096 - len(f"{T}/big") - 1)
    c.expect(["xenstore-write", f"{T}/big", fits], why="4096-byte payload: accepted")
    c.expect(["xenstore-read", f"{T}/big"], fits + "\n", why="read back whole")
    c.expect(["xenstore-write", f"{T}/big", fits + "y"], "",
             f"xenstore-write: could not write path {T}/big\n", 1, why="xs_talkv E2BIG")
    # Path length: at most XENSTORE_REL_PATH_MAX (2048) bytes, counted after
    # "/local/domain/<id>/" below it and whole elsewhere (is_valid_nodename).
    long_ok = f"{T}/" + "p" * (2048 - len(T) - 1)
    c.expect(["xenstore-write", long_ok, "1"], why="2048 bytes: valid")
    c.expect(["xenstore-write", long_ok + "p", "1"], "",
             f"xenstore-write: could not write path {long_ok}p\n", 1, why="2049 bytes: EINVAL")
    c.expect(["xenstore-rm", long_ok], why="cleanup")


def ls_checks(c):
    c.expect(["xenstore-write", f"{T}/ls/v", r'tab\there'], why="setup")
    c.expect(["xenstore-write", f"{T}/ls/long", "x" * 100], why="setup")
    # do_ls: a value wider than the line is cut at max_width (80 without a terminal) minus
    # the tag and ends in '\...'.
    c.expect(["xenstore-ls", f"{T}/ls"],
             'v = "tab\\there"\nlong = "' + "x" * 68 + '\\..."\n', why="do_ls truncation")
    c.expect(["xenstore-ls", "-p", f"{T}/ls"],
             ls_p("v", "tab\\there", "n0") + 'long = "' + "x" * 68 + '\\..."  (n0)\n',
             why="do_ls -p: no filler after a truncated value")


def order_checks(c):
    # xenstored lists children in the order they were created (add_child appends; a removed
    # child's entry goes, a re-created one comes last), not sorted.
    c.expect(["xenstore-write", f"{T}/o/zeta", "1", f"{T}/o/alpha", "2", f"{T}/o/mid", "3"],
             why="setup")
    c.expect(["xenstore-list", f"{T}/o"], "zeta\nalpha\nmid\n", why="add_child order")
    c.expect(["xenstore-rm", f"{T}/o/zeta"], why="delete_child")
    c.expect(["xenstore-write", f"{T}/o/zeta", "4"], why="re-created: appended")
    c.expect(["xenstore-list", "-p", f"{T}/o"], f"{T}/o/alpha\n{T}/o/mid\n{T}/o/zeta\n",
             why="MODE_list with -p")
    # More children than one reply holds: XS_DIRECTORY answers E2BIG (send_reply) and
    # libxenstore reads the list in parts with XS_DIRECTORY_PART (xs_directory_part).
    names = [f"child-{i:04d}-" + "n" * 20 for i in range(300)]
    pairs = []
    for n in reversed(names):
        pairs += [f"{T}/many/{n}", "x"]
    for i in range(0, len(pairs), 100):
        c.expect(["xenstore-write"] + pairs[i:i + 100], why="setup: 300 children")
    c.expect(["xenstore-list", f"{T}/many"], "".join(n + "\n" for n in reversed(names)),
             why="send_directory E2BIG -> send_directory_part")


def rm_chmod_checks(c):
    c.expect(["xenstore-rm", f"{T}/nope"], why="do_rm: missing node, parent exists: OK")
    c.expect(["xenstore-rm", f"{T}/nope/deeper"], "",
             f"xenstore-rm: could not remove path {T}/nope/deeper\n", 1,
             why="do_rm: parent missing too: ENOENT")
    c.expect(["xenstore-rm", "/"], "", "xenstore-rm: could not remove path /\n", 1,
             why="do_rm: the root is EINVAL")
    # rm -t removes emptied value-less parents up to the first that still has children.
    c.expect(["xenstore-write", f"{T}/tidy/keep", "1", f"{T}/tidy/a/b/c", "2"], why="setup")
    c.expect(["xenstore-rm", "-t", f"{T}/tidy/a/b/c"], why="MODE_rm tidy")
    c.expect(["xenstore-list", f"{T}/tidy"], "keep\n", why="a and a/b went, tidy stayed")
    c.expect(["xenstore-write", f"{T}/perm/a/b", "1"], why="setup")
    c.expect(["xenstore-chmod", "-r", f"{T}/perm", "n0", "r1"], why="do_chmod recurse")
    c.expect(["xenstore-ls", "-p", f"{T}/perm"],
             ls_p("a", "", "n0,r1") + ls_p("b", "1", "n0,r1", 1), why="perms_to_strings")
    c.expect(["xenstore-chmod", "-u", f"{T}/perm/a/b", "r0"], why="do_chmod upto: b, a, perm, and T")
    c.expect(["xenstore-ls", "-p", f"{T}/perm"],
             ls_p("a", "", "r0") + ls_p("b", "1", "r0", 1), why="upto reached the parents")
    # do_set_perms: an owner that is not an existing domain is ENOENT
    # (domain_alloc_permrefs marks it XS_PERM_IGNORE); so is a missing node.
    c.expect(["xenstore-chmod", f"{T}/perm", "n7"], "",
             f"xenstore-chmod: Error occurred setting permissions on '{T}/perm': "
             f"{ENOENT_TEXT}\n", 1, why="owner 7 does not exist")
    c.expect(["xenstore-chmod", f"{T}/nope", "n0"], "",
             f"xenstore-chmod: Error occurred setting permissions on '{T}/nope': "
             f"{ENOENT_TEXT}\n", 1, why="get_node ENOENT")
    c.expect(["xenstore-chmod", f"{T}/perm", "x1"], "",
             "xenstore-chmod: Invalid permission specification: 'x'\n", 1,
             why="perform MODE_chmod")


def watch_checks(c, fresh):
    w = ["xenstore-watch", "-n"]
    c.expect(["xenstore-write", f"{T}/w/a", "1"], why="setup")
    # do_watch fires once at registration with the path as given; then every change at or
    # below the watched path (fire_watches, is_child).
    c.expect_watch(w + ["3", f"{T}/w"], 1,
                   [["xenstore-write", f"{T}/w/a/b", "2"], ["xenstore-rm", f"{T}/w/a"]],
                   f"{T}/w\n{T}/w/a/b\n{T}/w/a\n", why="do_watch + fire_watches")
    # rm fires per removed node, children first (rm_node -> walk_node_tree -> delnode_sub):
    # the removed node itself for watches at or above it, each node below it only for a
    # watch on exactly that node. A watch on a node that never existed does not fire.
    c.expect(["xenstore-write", f"{T}/r/a", "1"], why="setup")
    c.expect_watch(w + ["4", f"{T}/r", f"{T}/r/a", f"{T}/r/a/ghost"], 3,
                   [["xenstore-rm", f"{T}/r"]],
                   f"{T}/r\n{T}/r/a\n{T}/r/a/ghost\n{T}/r/a\n",
                   why="delnode_sub: exact watch on r/a, ghost never existed")
    # ... and the remaining event is the removed root, for the watch on it.
    c.expect(["xenstore-write", f"{T}/r/a", "1"], why="setup")
    c.expect_watch(w + ["5", f"{T}/r", f"{T}/r/a"], 2,
                   [["xenstore-rm", f"{T}/r"], ["xenstore-write", f"{T}/r", "x"]],
                   f"{T}/r\n{T}/r/a\n{T}/r/a\n{T}/r\n{T}/r\n",
                   why="delnode_sub order: r/a (exact), then r")
    if not fresh:
        return
    # A relative watch reports relative paths (get_watch_path), here below /local/domain/0.
    c.expect_watch(w + ["2", "xstools-rel"], 1,
                   [["xenstore-write", "/local/domain/0/xstools-rel/x", "1"]],
                   "xstools-rel\nxstools-rel/x\n", why="get_watch_path strips the home")
    c.expect(["xenstore-rm", "/local/domain/0/xstools-rel"], why="cleanup")

    def introduce():
        reply = c.store.raw(XS_INTRODUCE, b"3\x00123\x005\x00")
        if reply != (XS_INTRODUCE, b"OK\x00"):
            raise Failure(f"XS_INTRODUCE 3: {reply!r}")

    def release():
        reply = c.store.raw(XS_RELEASE, b"3\x00")
        if reply != (XS_RELEASE, b"OK\x00"):
            raise Failure(f"XS_RELEASE 3: {reply!r}")

    # Special watches: introduce_domain fires @introduceDomain, destroy_domain
    # @releaseDomain (xenstored_domain.c).
    c.expect_watch(w + ["4", "@introduceDomain", "@releaseDomain"], 2, [introduce, release],
                   "@introduceDomain\n@releaseDomain\n@introduceDomain\n@releaseDomain\n",
                   why="special watches")


def serve_usage_checks(c, pvisor):
    """`pvisor store serve` itself: usage errors are status 2 with the reason first."""
    usage = ("usage: pvisor store serve --socket PATH [--domains N]\n"
             "  serve the store on the unix socket PATH (xenstore protocol; every client acts "
             "as the\n"
             "  control domain; Xen's tools reach it with XENSTORED_PATH=PATH) until "
             "SIGTERM/SIGINT\n"
             "  --socket PATH   where to listen (a stale socket there is replaced)\n"
             "  --domains N     introduce domains 1..N: /local/domain/<id> exists for each "
             "(default 0)\n")
    c.expect([pvisor, "store", "serve"], "",
             "pvisor store serve: --socket PATH is required\n" + usage, 2, why="store_serve.cpp")
    c.expect([pvisor, "store", "serve", "--socket", "/x", "--domains", "32752"], "",
             "pvisor store serve: --domains needs a number from 0 to 32751\n" + usage, 2,
             why="store_serve.cpp")
    c.expect([pvisor, "store", "serve", "--help"], usage, why="store_serve.cpp")


def start_server(cmd, sock):
    """Starts cmd and waits until sock accepts connections; returns the process."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Failure(f"{shlex.join(cmd)} exited {proc.returncode}: {proc.stdout.read()}")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(sock)
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise Failure(f"{shlex.join(cmd)}: {sock} did not come up within 10 s")


def stop_server(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise Failure("the store did not stop within 10 s of SIGTERM")
    return proc.returncode, out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    how = ap.add_mutually_exclusive_group(required=True)
    how.add_argument("--pvisor", help="pvisor binary: runs `pvisor store serve`")
    how.add_argument("--server-cmd", help="command line of a store; {socket} is replaced")
    how.add_argument("--daemon", help="pvisor binary: runs the toolstack service, `pvisor daemon`")
    how.add_argument("--socket", help="socket of an already running store")
    args = ap.parse_args()

    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        print(f"SKIP: xenstore-utils is not installed (no {', '.join(missing)}); "
              "scripts/setup installs it", file=sys.stderr)
        return SKIP

    tmp = tempfile.mkdtemp(prefix="xstools-")
    proc = None
    fresh = args.socket is None and args.daemon is None
    try:
        sock = args.socket or os.path.join(tmp, "xenstored.sock")
        if args.daemon:
            os.environ["PVISOR_RUN_DIR"] = tmp
            proc = start_server([args.daemon, "daemon"], sock)
        elif args.pvisor:
            proc = start_server([args.pvisor, "store", "serve", "--socket", sock,
                                 "--domains", "2"], sock)
        elif args.server_cmd:
            proc = start_server([a.replace("{socket}", sock)
                                 for a in shlex.split(args.server_cmd)], sock)
        store = Store(sock)
        c = Checker(store)
        if args.pvisor:
            serve_usage_checks(c, args.pvisor)
        store.run(["xenstore-rm", T])
        if fresh:
            fresh_tree_checks(c)
        read_write_checks(c)
        ls_checks(c)
        order_checks(c)
        rm_chmod_checks(c)
        watch_checks(c, fresh)
        store.run(["xenstore-rm", T])
        if proc is not None:
            rc, out = stop_server(proc)
            proc = None
        if args.daemon and (rc != 0 or "pvisor daemon: stopping" not in out):
            c.failures.append(f"pvisor daemon after SIGTERM: status {rc}, output {out!r}")
        if args.pvisor:
            if rc != 0 or out != f"store: serving {sock}\n":
                c.failures.append(f"store serve after SIGTERM: status {rc}, output {out!r}")
            if os.path.exists(sock):
                c.failures.append("store serve left its socket behind")
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    for f in c.failures:
        print(f"FAIL: {f}", file=sys.stderr)
    print(f"{c.count - len(c.failures)} of {c.count} checks match xenstored")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
