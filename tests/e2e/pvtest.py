#!/usr/bin/env python3
"""pvtest.py: the end-to-end runner. Boots one guest scenario under a VMM (pvisor, or QEMU
microvm as the reference) on a KVM that can run Linux, and checks the outcome on the host.

Platforms (same scenarios, same checks either way; env PVISOR_E2E_PLATFORM overrides):
  direct  this host's /dev/kvm runs the guest (the CPU advertises vmx or svm);
  nested  an emulated L1 machine (QEMU TCG, -cpu max, kvm_amd inside) runs it.
The guest (L2) prints PVTEST-* lines on its console; run-l2.sh adds PVTEST-VMM-EXIT.
"""
import argparse
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Every pvisor run: no broken console ring, no send on a bad port (pvisor's counters).
PVISOR_METRICS = {'console.broken': lambda v: v == 0, 'evtchn.bad_sends': lambda v: v == 0}

# Host-side expectations per scenario. 'values' are PVTEST-VALUE lines the guest must print
# (a callable gets the run context), 'metrics' predicates on pvisor's counters (PVTEST-METRIC
# lines, pvisor runs only), 'output' a line that must appear on the console, 'input' what is
# typed on the guest console after PVTEST-READY.
SCENARIOS = {
    'boot': {'vcpus': 1, 'values': {'uname': lambda ctx: ctx.kernel_version}},
    # Each CPU's tick stays on the local APIC timer, under pvisor too (pvcore's default).
    'smp': {'vcpus': 4, 'values': {'cpus_online': lambda ctx: '0-3', 'tick_device': lambda ctx:
                                   'lapic-deadline,lapic-deadline,lapic-deadline,lapic-deadline'}},
    # pvcore.timer=lapic given (l2-init.sh hands MODULE.PARAM words to insmod, as modprobe
    # does): the tick stays on the local APIC timer, everything else is PV. The scenarios of
    # the PV timer (evtchn, unload, save_restore) ask for pvcore.timer=pv.
    'timer_lapic': {'vcpus': 2, 'l2_args': 'pvcore.timer=lapic', 'values': {
        'timer_param': lambda ctx: 'lapic', 'tick_device': lambda ctx: 'lapic-deadline,lapic-deadline',
        'sleep_ok': lambda ctx: 'ok', 'events': lambda ctx: 'ok'}},
    # How pvisor describes the machine ('acpi': pvisor run --acpi on|off, default
    # DEFAULT_ACPI). acpi: ACPI tables and no MP table; the kernel takes its CPUs from the
    # MADT, the host bridge PNP0A03 has the DSDT's MMIO window, the platform device, pvcore,
    # a PV disk and a PV NIC work. mptable: the MP table and acpi=off, as before ACPI.
    'acpi': {'vcpus': 4, 'acpi': 'on', 'disk_mb': 64, 'nets': [('tap=pvtap0,bridge=pvbr0', '')],
             'values': {'cpus_online': lambda ctx: '0-3',
                        'acpi_tables': lambda ctx: 'APIC,DSDT,FACP',
                        'smp_source': lambda ctx: 'madt', 'mptable': lambda ctx: 'none',
                        'host_bridge': lambda ctx: '1',
                        'pci_window': lambda ctx: 'c0000000-febfffff',
                        'platform_device': lambda ctx: '0000:00:01.0',
                        'pvcore': lambda ctx: '1', 'blk_round_trip': lambda ctx: 'ok',
                        'net_ping': lambda ctx: 'ok'}},
    'mptable': {'vcpus': 4, 'acpi': 'off',
                'values': {'cpus_online': lambda ctx: '0-3', 'acpi_tables': lambda ctx: '',
                           'smp_source': lambda ctx: 'other', 'mptable': lambda ctx: 'found',
                           'host_bridge': lambda ctx: '0',
                           'platform_device': lambda ctx: '0000:00:01.0',
                           'pvcore': lambda ctx: '1'}},
    'console': {'vcpus': 1, 'input': 'echo PVTEST-ECHO $((6*7))\n', 'output': 'PVTEST-ECHO 42'},
    # 10,000 ping-pongs: each vCPU's MSI-X upcall went out through its irqfd at least
    # 10,000 times (pvisor's --metrics file, read at exit).
    'evtchn': {'vcpus': 2, 'l2_args': 'pvcore.timer=pv',
               'metrics': {'upcall0.raised': lambda v: v >= 10000,
                           'upcall1.raised': lambda v: v >= 10000}},
    'grant': {'vcpus': 1},
    # rmmod gives both CPUs' ticks back to the local APIC; insmod takes them again.
    'unload': {'vcpus': 2, 'l2_args': 'pvcore.timer=pv', 'values': {
        'ticks_loaded': lambda ctx: 'pv-timer0,pv-timer1',
        'ticks_unloaded': lambda ctx: 'lapic-deadline,lapic-deadline',
        'pv_irqs_unloaded': lambda ctx: '0',
        'ticks_reloaded': lambda ctx: 'pv-timer0,pv-timer1'}},
    'store': {'vcpus': 1, 'values': {'denied': lambda ctx: 'EACCES',
                                     'watch': lambda ctx: 'fired',
                                     'handshake': lambda ctx: '1,3,4,6'}},
    # The toolstack's requests (scenarios/balloon_shutdown.sh): memory/target 256 MiB then
    # 384 MiB of a 512 MiB guest, then control/shutdown = poweroff through the orderly path.
    # pvisor's counters at exit: exactly the pages the guest gave and took back, none refused.
    'balloon_shutdown': {'vcpus': 1, 'values': {
        'inflated': lambda ctx: '65536', 'memtotal_drop_kb': lambda ctx: '262144',
        'deflated': lambda ctx: '32768', 'memtotal_drop2_kb': lambda ctx: '131072',
        'balloon_errors': lambda ctx: '0,0,0', 'shutdown_acked': lambda ctx: 'yes'},
        'metrics': {'balloon.pages': lambda v: v == 32768,
                    'balloon.decreased': lambda v: v == 65536,
                    'balloon.populated': lambda v: v == 32768,
                    **{f'balloon.refused.{r}': (lambda v: v == 0) for r in
                       ('not_ram', 'in_use', 'already_out', 'not_out', 'discard')}}},
    'bench': {'vcpus': 1},
    # Issue 10's base (scenarios/save_restore.sh): saved through vmm.sock, the VMM gone,
    # restored from the file by `pvisor run --restore`; the guest's sequence, time and timers
    # go on (max_gap_ms: below 3 s, where the nested platform's slowest step of 0.2 s lies).
    'save_restore': {'vcpus': 2, 'l2_args': 'pvcore.timer=pv',
                     'values': {'restored': lambda ctx: 'yes', 'timer_after': lambda ctx: 'ok'},
                     'value_checks': {'max_gap_ms': lambda v: v.isdigit() and int(v) < 3000},
                     'console_check': lambda console: save_restore_check(console)},
    # scripts/demo: a PV disk and a PV network interface on the bridge of the net scenarios.
    'demo': {'vcpus': 2, 'disk_mb': 64, 'nets': [('tap=pvtap0,bridge=pvbr0', '')],
             'input': 'echo "hello from $(cat /proc/sys/kernel/hostname)"; uptime\n',
             'values': {'blk_round_trip': lambda ctx: 'ok' if ctx.vmms == ['pvisor'] else None,
                        'net_ping': lambda ctx: 'ok' if ctx.vmms == ['pvisor'] else None}},
    # PV block (issue 4; scenarios/blk_*.sh). 'disk_mb': a fresh sparse image of that size
    # (or --disk PATH[,ro]) given to pvisor as --disk; on the nested platform it is L1's
    # virtio disk /dev/vda and L1 hands that to pvisor. 'disk_ro' attaches it read-only,
    # 'disk_fill' writes that many MiB of a fixed pattern first, 'disk_unchanged' checks
    # it byte for byte afterwards. 'boots': the guest runs that many times on the same disk.
    # 'disk_opts': more of pvisor's --disk options (e.g. ',queues=4'), appended to the path.
    # 'programs' (host tools with their libraries) and 'kmods' (guest kernel modules, loaded
    # by the scenario from /kmod) go into this scenario's own L2 image.
    'blk_fs': {'vcpus': 2, 'disk_mb': 512, 'boots': 2, 'programs': ['mkfs.ext4'],
               'kmods': ['crc32c_generic', 'ext4'],
               'values': {'fs_verified': lambda ctx: 'ok'}},
    'blk_ro': {'vcpus': 1, 'disk_mb': 64, 'disk_ro': True, 'disk_fill': 64,
               'disk_unchanged': True, 'kmods': ['crc32c_generic', 'ext4'],
               'values': {'ro_flag': lambda ctx: '1', 'dd_write': lambda ctx: 'refused',
                          'pattern': lambda ctx: hashlib.sha256(
                              hashlib.sha256(b'pvtest-disk').digest()).hexdigest()}},
    'blk_fio': {'vcpus': 4, 'disk_mb': 1024, 'disk_opts': ',queues=4', 'programs': ['fio'],
                'values': {'fio_verify_errors': lambda ctx: '0'}},
    'blk_crash': {'vcpus': 2, 'disk_mb': 256,
                  'values': {'stream': lambda ctx: 'done', 'reconnects': lambda ctx: '1'},
                  'disk_check': lambda image, values: crash_stream_check(image, values)},
    'blk_root': {'vcpus': 2, 'disk_mb': 256, 'programs': ['mkfs.ext4'],
                 'kmods': ['crc32c_generic', 'ext4'],
                 'values': {'root_dev': lambda ctx: 'xvda'}},
    # Issue 3's recovery test on the PV disk: kill -9 the connected backend, restart it, the
    # data written before reads back the same and a new round trip works.
    'backend_restart': {'vcpus': 2, 'disk_mb': 64,
                        'values': {'round_trip': lambda ctx: 'ok', 'reconnects': lambda ctx: '1'},
                        'disk_check': lambda image, values: restart_check(image, values)},
    # PV network (issue 5; scenarios/net_*.sh). 'nets': the guests of one run, started all at
    # once by net-host.sh (inside L1 on the nested platform, in a private network namespace
    # on the direct one) after it made the bridge pvbr0 = 10.99.0.1/24: (--net SPEC, more
    # of the guest's kernel command line) each. Their TAPs join pvbr0. 'nested_args': more
    # command line for every guest on the nested platform.
    'net_ping': {'vcpus': 1, 'nets': [('tap=pvtap0,bridge=pvbr0', '')],
                 'values': {'guest_to_host': lambda ctx: 'ok', 'host_to_guest': lambda ctx: 'ok',
                            'mtu': lambda ctx: 'ok', 'mac': lambda ctx: '02:50:56:00:01:00'}},
    # 256 MiB each way (the scenario's default) moves at about 5 Mbit/s on the nested
    # platform, all of it emulated (7 minutes each way): 64 MiB there.
    'net_tcp': {'vcpus': 2, 'nets': [('tap=pvtap0,bridge=pvbr0,queues=2', '')],
                'nested_args': 'pvtest.net_bytes=67108864',
                'values': {'tx_sha256': lambda ctx: 'ok', 'rx_sha256': lambda ctx: 'ok',
                           'queues': lambda ctx: '2'}},
    # Both guests at once, 64 MiB each way (the default): 8 minutes of the nested platform's
    # emulated CPUs, 16 MiB there.
    'net_vm2vm': {'vcpus': 1, 'nested_args': 'pvtest.net_bytes=16777216',
                  'nets': [('tap=pvtapA,bridge=pvbr0,mac=02:00:00:00:00:0a', 'pvtest.role=a'),
                           ('tap=pvtapB,bridge=pvbr0,mac=02:00:00:00:00:0b', 'pvtest.role=b')],
                  'values': {'rx_sha256': lambda ctx: 'ok', 'peer_done': lambda ctx: 'ok'}},
    # The toolstack (issue 9; scenarios/ts_*.host.sh, toolstack-host.sh): the host half drives
    # `pvisor create/list/...` against the toolstack service, the guests run ts_agent.sh.
    # 'toolstack': how many guests must end with a PVTEST-RESULT of their own (a cooperative
    # poweroff prints one). 'values' are the host half's PVTEST-VALUE lines.
    'ts_multi_domain': {'vcpus': 1, 'toolstack': 3, 'values': {
        'domids_distinct': lambda ctx: '3', 'macs_distinct': lambda ctx: '3',
        'listed': lambda ctx: 'running,running,running',
        'others_denied': lambda ctx: 'EACCES,EACCES,EACCES', 'own_read': lambda ctx: 'ok,ok,ok',
        'shutdown_w': lambda ctx: 'ok,ok,ok', 'listed_after': lambda ctx: '0'}},
    # One guest through create, pause, hotplug, mem-set, a killed service, reboot, shutdown
    # and destroy; two boots end with a cooperative poweroff... one (the reboot ends the
    # first without a result of its own).
    'ts_lifecycle': {'vcpus': 1, 'toolstack': 1, 'values': {
        'created': lambda ctx: 'ok', 'second_create': lambda ctx: '1',
        'vcpu_pin': lambda ctx: 'ok', 'paused_state': lambda ctx: 'paused',
        'paused_exits': lambda ctx: 'frozen', 'paused_ticks': lambda ctx: 'frozen',
        'unpaused': lambda ctx: 'alive', 'unpaused_exits': lambda ctx: 'growing',
        'blk_round_trip': lambda ctx: 'ok', 'top_blk': lambda ctx: 'ok',
        'blk_detached': lambda ctx: 'ok',
        'block_list_after': lambda ctx: '0', 'net_ping': lambda ctx: 'ok',
        'rss_fell': lambda ctx: 'ok', 'vmm_survived': lambda ctx: 'ok',
        'relisted': lambda ctx: 'running', 'reached_after_restart': lambda ctx: 'reached',
        'rebooted': lambda ctx: 'new_id', 'shutdown_w': lambda ctx: 'ok', 'gone': lambda ctx: 'ok',
        'destroyed': lambda ctx: 'ok'}},
    # kill -9 of a domain's pvisor-blkback mid-stream: the toolstack restarts it, no
    # flushed block is lost (scenarios/ts_stream.sh, 48 batches of 1 MiB).
    'ts_backend_supervised': {'vcpus': 1, 'toolstack': 1, 'values': {
        'killed': lambda ctx: 'ok', 'stream_running': lambda ctx: 'running',
        'restarted': lambda ctx: 'ok', 'stream': lambda ctx: 'done',
        'reconnects': lambda ctx: '1', 'image': lambda ctx: 'all_flushed_blocks'}},
    # The toolstack's benchmark (bench/toolstack/toolstack-bench; scenarios/ts_bench.host.sh):
    # idle guests under pvisor's toolstack and QEMU microvm (virtio drivers from /kmod).
    'ts_bench': {'vcpus': 1, 'toolstack': 0, 'kmods': ['virtio_mmio', 'virtio_blk', 'virtio_net'],
                 'values': {'idle_domains_listed': lambda ctx: '8',
                            'bench_done': lambda ctx: 'ok'}},
}

# pvisor's platform tables for scenarios that do not choose ('acpi' above): on, pvisor's own
# default (ACPI tables, no MP table), or off (`--acpi off` and acpi=off on the guest's command
# line). PVISOR_E2E_ACPI=on|off overrides it for the whole suite.
DEFAULT_ACPI = os.environ.get('PVISOR_E2E_ACPI', 'on')


def scenario_acpi(scenario):
    acpi = SCENARIOS[scenario].get('acpi', DEFAULT_ACPI)
    if acpi not in ('on', 'off'):
        sys.exit(f'pvtest: PVISOR_E2E_ACPI must be on or off, not {acpi!r}')
    return acpi


# Seconds the emulated L1 machine may take to print PVTEST-L1-READY (it needs about 5 s on
# a quiet machine and 30 s under heavy load).
L1_READY_TIMEOUT = float(os.environ.get('PVISOR_E2E_L1_READY_TIMEOUT', '150'))

L1_QEMU_FIRMWARE = ['bios-microvm.bin', 'qboot.rom', 'linuxboot_dma.bin', 'kvmvapic.bin',
                    'pvh.bin', 'multiboot_dma.bin', 'bios-256k.bin']
KVM_MODULES = {
    'irqbypass': 'kernel/virt/lib/irqbypass.ko',
    'kvm': 'kernel/arch/x86/kvm/kvm.ko',
    'ccp': 'kernel/drivers/crypto/ccp/ccp.ko',
    'kvm-amd': 'kernel/arch/x86/kvm/kvm-amd.ko',
}


class Context:
    def __init__(self, args):
        self.build = Path(args.build_dir).resolve()
        self.kernel_dir = Path(args.kernel_dir).resolve()
        self.kernel_version = (self.kernel_dir / 'version').read_text().strip()
        self.vmlinuz = self.kernel_dir / 'vmlinuz'
        self.modules = [Path(m) for m in args.module if m]
        self.l1_tools = [Path(t) for t in getattr(args, 'l1_tool', []) if t]
        self.vmms = args.vmm.split(',')  # several: one L1 boot runs each in turn
        self.pvisor = Path(args.pvisor) if args.pvisor else None
        self.work = self.build / 'e2e'
        self.work.mkdir(parents=True, exist_ok=True)
        self.disk = None  # (image path, read-only) when the scenario has a PV disk
        self.scenario = args.scenario

    def vmm_binary(self, vmm):
        if vmm == 'qemu':
            return Path(shutil.which('qemu-system-x86_64') or 'qemu-system-x86_64')
        return self.pvisor


def log(msg):
    print(f'pvtest: {msg}', flush=True)


def choose_platform():
    forced = os.environ.get('PVISOR_E2E_PLATFORM', '')
    if forced:
        if forced not in ('direct', 'nested'):
            sys.exit(f'pvtest: PVISOR_E2E_PLATFORM must be direct or nested, not {forced!r}')
        return forced
    flags = ''
    for line in Path('/proc/cpuinfo').read_text().splitlines():
        if line.startswith('flags'):
            flags = line.split(':', 1)[1].split()
            break
    hw_virt = 'vmx' in flags or 'svm' in flags
    return 'direct' if hw_virt and os.path.exists('/dev/kvm') else 'nested'


# ---- initramfs images, cached by the digest of everything that goes into them ----

def digest(items):
    """items: (name in the image, source file) pairs; the key covers names and contents."""
    h = hashlib.sha256()
    for name, src in sorted(items, key=lambda i: i[0]):
        h.update(name.encode() + b'\0')
        h.update(Path(src).read_bytes())
    return h.hexdigest()


def make_cpio(image, items):
    """Builds `image` (newc cpio) from items unless the cached key still matches."""
    key = digest(items)
    keyfile = image.with_suffix('.key')
    if image.exists() and keyfile.exists() and keyfile.read_text() == key:
        return image
    log(f'building {image.name} ({len(items)} files)')
    stage = image.with_suffix('.d')
    shutil.rmtree(stage, ignore_errors=True)
    for name, src in items:
        dst = stage / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    for d in ('proc', 'sys', 'dev', 'tmp'):
        (stage / d).mkdir(exist_ok=True)
    files = subprocess.run(['find', '.', '-mindepth', '1'], cwd=stage, check=True,
                           capture_output=True).stdout
    tmp = image.with_suffix('.tmp')
    with open(tmp, 'wb') as out:
        subprocess.run(['cpio', '--quiet', '-o', '-H', 'newc'], cwd=stage, input=files,
                       stdout=out, check=True)
    tmp.replace(image)
    keyfile.write_text(key)
    shutil.rmtree(stage)
    return image


def busybox():
    path = shutil.which('busybox')
    ldd = subprocess.run(['ldd', path or '/nonexistent'], capture_output=True, text=True)
    if not path or 'not a dynamic executable' not in ldd.stdout + ldd.stderr:
        sys.exit('pvtest: a static busybox is needed (apt-get install busybox-static)')
    return path


def l2_initrd(ctx):
    items = [('init', HERE / 'l2-init.sh'), ('bin/busybox', busybox())]
    items += [(f'scenarios/{p.name}', p) for p in (HERE / 'scenarios').glob('*.sh')]
    # Loaded only under pvisor (l2-init.sh), so one image serves every VMM. The index keeps
    # the --module order (pvcore.ko first: the others need its symbols) in the glob.
    items += [(f'modules/{i:02d}-{m.name}', m) for i, m in enumerate(ctx.modules)]
    spec = SCENARIOS[ctx.scenario]
    if 'programs' not in spec and 'kmods' not in spec:
        return make_cpio(ctx.work / 'l2.cpio', items)
    items += programs_with_libraries(spec.get('programs', []))
    kmods = kernel_modules(ctx, spec.get('kmods', []))
    items += [(f'kmod/{i:02d}-{name}', src) for i, (name, src) in enumerate(kmods)]
    return make_cpio(ctx.work / f'l2-{ctx.scenario}.cpio', items)


def shared_libraries(binary):
    """The loader and every library `binary` needs, at their own paths (for L1's rootfs)."""
    out = subprocess.run(['ldd', str(binary)], capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        m = re.search(r'(/\S+) \(0x', line)
        if m:
            libs.append((m.group(1).lstrip('/'), Path(m.group(1)).resolve()))
    return libs


def programs_with_libraries(programs):
    """(name in the image, source) for host programs (names on PATH or paths) as
    usr/bin/<name>, plus every shared library each needs at the path ldd names: how a
    dynamically linked host tool (fio, iperf3) runs inside L1 or L2 as it is."""
    items = []
    for prog in programs:
        path = shutil.which(str(prog))
        if not path:
            sys.exit(f'pvtest: {prog} is needed inside the guest images but is not installed '
                     '(scripts/setup installs it)')
        items.append((f'usr/bin/{Path(path).name}', Path(path).resolve()))
        items += shared_libraries(path)
    return list(dict(items).items())


def kernel_modules(ctx, names):
    """(name in the image, source) of the guest kernel's modules `names` and every module they
    depend on, in an order insmod can follow (dependencies first). The cache has no
    modules.dep: the dependencies come from each module's own modinfo."""
    moddir = ctx.kernel_dir / 'modules' / 'lib' / 'modules' / ctx.kernel_version
    norm = lambda n: n.replace('-', '_')
    paths = {norm(Path(rel).name[:-len('.ko')]): moddir / rel
             for rel in (moddir / 'modules.order').read_text().split() if rel.endswith('.ko')}
    ordered = []

    def visit(name):
        if name in ordered:
            return
        if name not in paths:
            sys.exit(f'pvtest: guest kernel module {name} not found in {moddir}')
        deps = subprocess.run(['modinfo', '-F', 'depends', str(paths[name])], check=True,
                              capture_output=True, text=True).stdout.strip()
        for dep in filter(None, deps.split(',')):
            visit(norm(dep))
        ordered.append(name)

    for n in names:
        visit(norm(n))
    return [(f'{n}.ko', paths[n]) for n in ordered]


def l1_machine(vmlinuz, initrd, append, disk=None, reset_log=None):
    """The emulated L1 machine of the nested platform (QEMU TCG with AMD-V, no network).
    A PV disk image becomes L1's virtio disk (/dev/vda), which L1 gives pvisor. With
    reset_log, QEMU writes why the machine reset there ("Triple fault" and the registers)."""
    cmd = ['qemu-system-x86_64', '-accel', 'tcg', '-cpu', 'max', '-M', 'q35', '-m', '2048',
           '-smp', '2', '-nographic', '-no-reboot', '-nic', 'none', '-kernel', str(vmlinuz),
           '-initrd', str(initrd), '-append', append]
    if reset_log:
        cmd += ['-d', 'cpu_reset', '-D', str(reset_log)]
    if disk:
        cmd += ['-drive', f'file={disk[0]},format=raw,if=virtio,cache=writeback'
                          f'{",readonly=on" if disk[1] else ""}']
    return cmd


def vmm_items(ctx):
    """Each VMM as /usr/bin/<kind> (QEMU finds its firmware in ../share/qemu) + its libs."""
    items = []
    for vmm in ctx.vmms:
        binary = ctx.vmm_binary(vmm)
        if binary is None or not binary.exists():
            sys.exit(f'pvtest: no {vmm} binary to run (got {binary}); is it built?')
        items.append((f'usr/bin/{vmm}', binary.resolve()))
        items += shared_libraries(binary)
    return list(dict(items).items())


def l1_initrd(ctx, l2):
    items = [('init', HERE / 'l1-init.sh'), ('run-l2.sh', HERE / 'run-l2.sh'),
             ('bin/busybox', busybox()), ('l2/vmlinuz', ctx.vmlinuz.resolve()),
             ('l2/initrd.cpio', l2)]
    items += vmm_items(ctx)
    for tool in ctx.l1_tools:
        items.append((f'usr/bin/{tool.name}', tool.resolve()))
        items += shared_libraries(tool)
    moddir = ctx.kernel_dir / 'modules' / 'lib' / 'modules' / ctx.kernel_version
    items += [(f'kvm/{name}.ko', moddir / rel) for name, rel in KVM_MODULES.items()]
    if ctx.disk:
        # L1's virtio disk driver, dependencies first (l1-init.sh loads /virtio/* in order).
        virtio = kernel_modules(ctx, ['virtio_pci', 'virtio_blk'])
        items += [(f'virtio/{i:02d}-{name}', src) for i, (name, src) in enumerate(virtio)]
    toolstack = 'toolstack' in SCENARIOS[ctx.scenario]
    if toolstack:
        items += [('toolstack-host.sh', HERE / 'toolstack-host.sh')]
        items += [(f'scenarios/{p.name}', p) for p in (HERE / 'scenarios').glob('ts_*.sh')]
    net = 'nets' in SCENARIOS[ctx.scenario] or toolstack
    if net:
        # The host half (net-host.sh, net_gen for run-l2.sh) and L1's TAP and bridge drivers,
        # dependencies first (l1-init.sh loads /net/* in order); each net scenario's runs.
        items += [('net-host.sh', HERE / 'net-host.sh'),
                  ('scenarios/net_lib.sh', HERE / 'scenarios' / 'net_lib.sh')]
        mods = kernel_modules(ctx, ['tun', 'bridge'])
        items += [(f'net/{i:02d}-{name}', src) for i, (name, src) in enumerate(mods)]
        for name, spec in SCENARIOS.items():
            if 'nets' in spec:
                items.append((f'scenarios/{name}.nets', runs_file(ctx, name, 'nested')))
    if toolstack:
        net = 'ts'
    if 'qemu' in ctx.vmms:
        fw = Path('/usr/share/qemu')
        items += [(f'usr/share/qemu/{f}', (fw / f).resolve()) for f in L1_QEMU_FIRMWARE
                  if (fw / f).exists()]
    inputs = ctx.work / 'inputs'
    inputs.mkdir(exist_ok=True)
    for name, spec in SCENARIOS.items():
        if 'input' in spec:
            (inputs / f'{name}.input').write_text(spec['input'])
            items.append((f'scenarios/{name}.input', inputs / f'{name}.input'))
    disk = '-disk' if ctx.disk else ''
    return make_cpio(ctx.work / f'l1-{"+".join(ctx.vmms)}{disk}{"-" + str(net) if net else ""}.cpio',
                     items)


def runs_file(ctx, scenario, platform):
    """net-host.sh's list of runs for a net scenario: one "NETSPEC [ARG...]" line per guest."""
    spec = SCENARIOS[scenario]
    extra = spec.get('nested_args', '') if platform == 'nested' else ''
    path = ctx.work / f'{scenario}-{platform}.nets'
    path.write_text(''.join(' '.join(filter(None, (net, args, extra))) + '\n'
                            for net, args in spec['nets']))
    return path


# ---- running ----

def launch_command(ctx, platform, scenario):
    spec = SCENARIOS[scenario]
    l2 = l2_initrd(ctx)
    if platform == 'direct' and 'toolstack' in spec:
        # The same host half as inside L1, in a network namespace and a run directory of its
        # own; the backends are found beside pvisor or on $PATH.
        run_dir = ctx.work / f'{scenario}-run'
        shutil.rmtree(run_dir, ignore_errors=True)
        dirs = ':'.join(sorted({str(t.resolve().parent) for t in ctx.l1_tools}))
        script = [f'export PVISOR_RUN_DIR={shlex.quote(str(run_dir))}',
                  f'export PVTEST_ACPI={scenario_acpi(scenario)}',
                  f'export PATH={shlex.quote(dirs)}:"$PATH"',
                  shlex.join(['unshare', '--net', 'sh', str(HERE / 'toolstack-host.sh'), scenario,
                              str(ctx.vmm_binary('pvisor')), str(ctx.vmlinuz), str(l2)])]
        return ['sh', '-c', '; '.join(script)]
    if platform == 'direct':
        # The same run-l2.sh as inside L1, once per VMM, on this host's KVM.
        script = []
        for vmm in ctx.vmms:
            cmd = ['sh', str(HERE / 'run-l2.sh'), vmm, str(ctx.vmm_binary(vmm)),
                   str(ctx.vmlinuz), str(l2), scenario, str(spec['vcpus'])]
            if 'input' in spec:
                inp = ctx.work / f'{scenario}.input'
                inp.write_text(spec['input'])
                cmd.append(str(inp))
            if 'nets' in spec:
                # The bridge and the TAPs live in a network namespace of their own.
                cmd[:2] = ['unshare', '--net', 'sh', str(HERE / 'net-host.sh'),
                           str(runs_file(ctx, scenario, 'direct'))]
            script.append(shlex.join(cmd))
        if ctx.l1_tools:
            # pvisor finds its backends (pvisor-netback, ...) on $PATH, as L1 has them beside it.
            dirs = ':'.join(sorted({shlex.quote(str(t.resolve().parent)) for t in ctx.l1_tools}))
            script.insert(0, f'export PATH={dirs}:"$PATH"')
        script.insert(0, f'export PVTEST_ACPI={scenario_acpi(scenario)}')
        if l2_extra(spec):
            script.insert(0, 'export PVTEST_L2_EXTRA=' + shlex.quote(l2_extra(spec)))
        if ctx.disk:
            # run-l2.sh passes it to pvisor as --disk.
            spec_ro = (',ro' if ctx.disk[1] else '') + spec.get('disk_opts', '')
            script.insert(0, f'export PVTEST_DISK={shlex.quote(str(ctx.disk[0]) + spec_ro)}')
        return ['sh', '-c', '; '.join(script)]
    l1 = l1_initrd(ctx, l2)
    append = (f'console=ttyS0 panic=-1 quiet pvtest.vmm={",".join(ctx.vmms)} '
              f'pvtest.scenario={scenario} pvtest.vcpus={spec["vcpus"]} '
              f'pvtest.acpi={scenario_acpi(scenario)}')
    # kvm_amd in L1 runs its guests on shadow page tables (npt=0) unless told otherwise: the
    # emulated CPU's nested paging is where the platform's triple faults come from
    # (docs/testing.md, "Known platform effects"). PVISOR_E2E_L2_ARGS: more of every guest's
    # kernel command line, for experiments.
    for word, value in (('kvm_amd', os.environ.get('PVISOR_E2E_KVM_AMD', 'npt=0')),
                        ('l2args', l2_extra(spec))):
        if value.split():
            append += f' pvtest.{word}=' + ','.join(value.split())
    if ctx.disk:
        append += (f' pvtest.disk=/dev/vda{",ro" if ctx.disk[1] else ""}'
                   f'{spec.get("disk_opts", "")}')
    return l1_machine(ctx.vmlinuz, l1, append, ctx.disk, l1_reset_log(ctx, scenario))


def l2_extra(spec):
    """More words of every guest's kernel command line: the scenario's own ('l2_args') and
    PVISOR_E2E_L2_ARGS (experiments)."""
    return ' '.join(filter(None, (spec.get('l2_args', ''),
                                  os.environ.get('PVISOR_E2E_L2_ARGS', ''))))


def l1_reset_log(ctx, scenario):
    return ctx.work / f'{scenario}-l1-reset.log'


def prepare_disk(ctx, spec, given):
    """The scenario's PV disk: --disk PATH[,ro] as given, else a fresh sparse image."""
    if given:
        path, _, opt = given.partition(',')
        if opt not in ('', 'ro'):
            sys.exit(f'pvtest: --disk takes PATH or PATH,ro, not {given!r}')
        return Path(path).resolve(), opt == 'ro'
    if 'disk_mb' not in spec:
        return None
    image = ctx.work / f'{ctx.scenario}.img'
    with open(image, 'wb') as f:
        f.truncate(spec['disk_mb'] << 20)
        # A fixed pattern (no randomness: reruns compare alike) for the read-only checks.
        block = hashlib.sha256(b'pvtest-disk').digest() * (4096 // 32)
        for _ in range(spec.get('disk_fill', 0) * 256):
            f.write(block)
    return image, spec.get('disk_ro', False)


def save_restore_check(console):
    """scenarios/save_restore.sh: every 'PVSEQ i sum' line from 1 to the last, once and in
    order, each with its checksum; the domain was saved and restored (run-l2.sh's
    PVTEST-HOST-SAVED and PVTEST-HOST-RESTORING) between two of them."""
    errors = []
    lines = re.findall(r'^(PVSEQ (\d+) (\d+)|PVTEST-HOST-SAVED [^\n]*|PVTEST-HOST-RESTORING)\r?$',
                       console, re.M)
    expect, total, restored_at = 1, 0, None
    saved = [full for full, _, _ in lines if full.startswith('PVTEST-HOST-SAVED')]
    for full, i, got in lines:
        if full == 'PVTEST-HOST-RESTORING':
            restored_at = expect - 1
            continue
        if not i:
            continue
        total = (total * 31 + int(i)) % 1000000007
        if int(i) != expect or int(got) != total:
            return [f'save_restore: line {full!r}, expected PVSEQ {expect} {total}']
        expect += 1
    if len(saved) != 1 or '"ok":true' not in saved[0]:
        errors.append(f'save_restore: save replies {saved}, expected one ok')
    if restored_at is None or not 10 <= restored_at < expect - 1:
        errors.append(f'save_restore: restored after line {restored_at}, expected between '
                      f'10 and {expect - 1}')
    return errors


def crash_stream_check(image, values):
    """scenarios/blk_crash.sh writes 4 KiB block i at offset i * 4 KiB, each starting with
    'PVSEQ <i, 8 digits>'; PVTEST-VALUE flushed=N says blocks 0..N-1 were written and then
    flushed (fsync returned). All of those must be on the image."""
    try:
        flushed = int(values.get('flushed', ''))
    except ValueError:
        return ['blk_crash: no PVTEST-VALUE flushed=N from the guest']
    if flushed <= 0:
        return [f'blk_crash: nothing flushed ({flushed})']
    with open(image, 'rb') as f:
        for i in range(flushed):
            f.seek(i * 4096)
            if f.read(14) != f'PVSEQ {i:08d}'.encode():
                return [f'blk_crash: block {i} of {flushed} flushed blocks is not on the disk']
    return []


def restart_check(image, values):
    """scenarios/backend_restart.sh: what the guest read before and after the backend's
    restart must be the same 4 MiB; the image holds both of the guest's patterns."""
    if not values.get('before') or values.get('before') != values.get('after'):
        return [f'backend_restart: read {values.get("after")!r} after the restart, '
                f'{values.get("before")!r} before']
    with open(image, 'rb') as f:
        for tag, offset in (('before', 0), ('after', 4 << 20)):
            f.seek(offset + 4095 * 1024)
            if f.read(22) != f'pvisor-{tag:<6}-{4095:08d}'.encode():
                return [f'backend_restart: the image lacks the guest\'s {tag!r} pattern']
    return []


def file_digest(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


# run_bounded's status for a run killed because `ready` did not appear in time.
NOT_READY = 'not-ready'


def run_bounded(cmd, logfile, timeout, ready=None, ready_timeout=0.0):
    """Runs cmd in its own process group with the console in logfile; kills it on timeout.
    With `ready`, a run whose console lacks that marker after ready_timeout seconds is killed
    too and reported as NOT_READY. Returns (exit status, None on timeout, or NOT_READY;
    seconds)."""
    start = time.monotonic()
    with open(logfile, 'wb') as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        status = None
        while True:
            elapsed = time.monotonic() - start
            try:
                status = proc.wait(timeout=min(1.0, max(timeout - elapsed, 0.01)))
                break
            except subprocess.TimeoutExpired:
                pass
            elapsed = time.monotonic() - start
            stuck = ready and elapsed > ready_timeout and ready.encode() not in logfile.read_bytes()
            if elapsed >= timeout or stuck:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                status = NOT_READY if stuck else None
                break
    return status, time.monotonic() - start


def check(ctx, scenario, console, platform_status):
    """Returns the list of failed expectations (empty: pass)."""
    spec = SCENARIOS[scenario]
    errors = []
    for failed in re.findall(r'PVTEST-HOST-ACTION-FAILED ([^\n]*)', console):
        errors.append(f'host action failed: {failed.strip()}')
    # run-l2.sh's own lines share the L1 console with the guest's stream and can land in the
    # middle of a guest line: take them out whole, which re-joins the guest's line.
    console = re.sub(r'(PVTEST-VMM-INIT|PVTEST-HOST-ACTION-FAILED|PVTEST-HOST-PROBE) [^\n]*\n',
                     '', console)
    if platform_status is None:
        errors.append('timed out')
    elif platform_status != 0:
        errors.append(f'platform exited with {platform_status}')
    if 'toolstack' in spec:
        return errors + check_toolstack(ctx, spec, console)
    # A net scenario may run several guests at once, each under its own VMM process.
    guests = len(spec.get('nets', [None]))
    results = re.findall(r'PVTEST-RESULT name=(\S+) status=(\S+)(.*)', console)
    if len(results) != len(ctx.vmms) * guests:
        errors.append(f'{len(results)} PVTEST-RESULT lines from the guest, '
                      f'expected {len(ctx.vmms) * guests}')
    for name, status, detail in results:
        if name != scenario or status != 'pass':
            errors.append(f'guest says: {name} {status}{detail}')
    exits = re.findall(r'PVTEST-VMM-EXIT vmm=(\S+) status=(\S+)', console)
    for vmm in sorted(set(ctx.vmms)):
        got = [st for kind, st in exits if kind == vmm]
        if len(got) < ctx.vmms.count(vmm) * guests:
            errors.append(f'{vmm} did not exit')
        for st in got:
            if st != '0':
                errors.append(f'{vmm} exit status {st}, expected 0')
    values = dict(re.findall(r'PVTEST-VALUE (\w+)=(\S*)', console))
    for key, want in spec.get('values', {}).items():
        if values.get(key) != want(ctx):
            errors.append(f'{key}: got {values.get(key)!r}, expected {want(ctx)!r}')
    if 'pvisor' in ctx.vmms:
        metrics = {k: int(v) for k, v in re.findall(r'^PVTEST-METRIC ([\w.]+)=(\d+)$', console, re.M)}
        for key, ok in {**PVISOR_METRICS, **spec.get('metrics', {})}.items():
            if key not in metrics:
                errors.append(f'pvisor metric {key} missing')
            elif not ok(metrics[key]):
                errors.append(f'pvisor metric {key}={metrics[key]} out of range')
    if 'nets' in spec:
        # pvisor-netback's counters at exit (vif<domid>.<handle>.<name> lines), every guest's:
        # each connected, and no frame or ring of a well-behaved frontend refused.
        counters = re.findall(r'^vif\d+\.\d+\.(rings_broken|invalid|session\.connects) (\d+)$',
                              console, re.M)
        connects = [int(v) for k, v in counters if k == 'session.connects']
        if len(connects) != len(ctx.vmms) * guests or 0 in connects:
            errors.append(f'pvisor-netback connects: {connects}, expected one run per guest, '
                          'each connected')
        for key, value in counters:
            if key != 'session.connects' and value != '0':
                errors.append(f'pvisor-netback {key}={value}, expected 0')
        # Started by pvisor, alive while the guest ran, stopped by pvisor's SIGTERM (exit 0).
        for died in re.findall(r'pvisor: pvisor-netback \(pid \d+\) ended: ([^\n;]*)', console):
            errors.append(f'pvisor-netback ended while the guest ran: {died}')
        stopped = console.count('pvisor: pvisor-netback stopped (exit status 0)')
        if stopped != len(ctx.vmms) * guests:
            errors.append(f'pvisor-netback stopped cleanly {stopped} times, expected '
                          f'{len(ctx.vmms) * guests}')
    for key, ok in spec.get('value_checks', {}).items():
        if key not in values or not ok(values[key]):
            errors.append(f'{key}: got {values.get(key)!r}, out of range')
    if 'console_check' in spec:
        errors += spec['console_check'](console)
    if 'output' in spec and not re.search(rf"^{re.escape(spec['output'])}$", console, re.M):
        errors.append(f'console output {spec["output"]!r} missing')
    return errors


def check_toolstack(ctx, spec, console):
    """A toolstack scenario: the host half's values, the guests' own results, and every
    VMM's counters clean."""
    errors = []
    if 'PVTEST-TS-HOST-END' not in console:
        errors.append('the host half did not finish')
    results = re.findall(r'PVTEST-RESULT name=(\S+) status=(\S+)(.*)', console)
    if len(results) != spec['toolstack']:
        errors.append(f'{len(results)} PVTEST-RESULT lines from the guests, expected '
                      f'{spec["toolstack"]}')
    for name, status, detail in results:
        if name != 'ts_agent' or status != 'pass':
            errors.append(f'guest says: {name} {status}{detail}')
    values = dict(re.findall(r'PVTEST-VALUE (\w+)=(\S*)', console))
    for key, want in spec.get('values', {}).items():
        if values.get(key) != want(ctx):
            errors.append(f'{key}: got {values.get(key)!r}, expected {want(ctx)!r}')
    for key, value in re.findall(r'^PVTEST-METRIC ([\w.]+)=(\d+)$', console, re.M):
        if key in PVISOR_METRICS and not PVISOR_METRICS[key](int(value)):
            errors.append(f'pvisor metric {key}={value} out of range')
    return errors


def never_started(console):
    """True when a VMM exited whose guest printed no PVTEST line of its own: fewer guests'
    PVTEST-INIT lines than VMM exits (several guests may run at once, net scenarios)."""
    exits = console.count('PVTEST-VMM-EXIT')
    return exits > 0 and console.count('PVTEST-INIT') < exits


# pvisor's exit statuses (docs/design.md) that say pvisor or its guest failed: an internal
# error (1), a guest triple fault (4), a guest crash (5), the guest's watchdog (6). A status
# of 128 or more is a death by signal (the shell's 128 + N).
PVISOR_FAILED_STATUS = {
    '1': 'pvisor failed (exit status 1)',
    '4': 'the guest triple-faulted under pvisor (exit status 4)',
    '5': 'the guest crashed under pvisor (exit status 5)',
    '6': "the guest's watchdog fired under pvisor (exit status 6)",
}
SANITIZER_REPORT = re.compile(r'ERROR: (?:Address|Leak|Memory)Sanitizer|WARNING: ThreadSanitizer'
                              r'|: runtime error: ')


def pvisor_failure(console):
    """Why pvisor's own run failed, or None: its guest triple-faulted, crashed or was reset by
    its watchdog, pvisor exited with an error or died of a signal, or a sanitizer reported.
    Such a run is never retried: it is a bug of pvisor or its guest, not of the platform."""
    for st in re.findall(r'PVTEST-VMM-EXIT vmm=pvisor status=(\S+)', console):
        if st in PVISOR_FAILED_STATUS:
            return PVISOR_FAILED_STATUS[st]
        if st.isdigit() and int(st) >= 128:
            return f'pvisor died of signal {int(st) - 128} (exit status {st})'
    m = SANITIZER_REPORT.search(console)
    if m:
        line = console[console.rfind('\n', 0, m.start()) + 1:].split('\n', 1)[0]
        return f'sanitizer report: {line.strip()}'
    return None


def platform_flake(platform, status, console, vmm_runs, l1_resets):
    """Why the run looks like a flake of the emulated machine itself, or None. vmm_runs: the
    VMM runs the scenario makes; l1_resets: the text of the L1 machine's reset log.
    Seen on the emulated machine, neither caused by the guest under test: the L1 machine
    stalls after its firmware (rare); the L2 kernel resets before printing anything and its
    VMM exits (about one run in three under load; with no_timer_check it hangs instead, which
    points at its early timer check); the L1 machine dies under a running VMM."""
    if platform != 'nested':
        return None  # on a host whose KVM runs the guest directly nothing is retried
    if status == NOT_READY:
        return f'the L1 machine did not start within {L1_READY_TIMEOUT:.0f} s'
    if never_started(console):
        return 'the L2 guest reset before its first line'
    if (status == 0 and console.count('PVTEST-VMM-EXIT') < vmm_runs and
            'PVTEST-TS-HOST-END' not in console):
        # (A toolstack scenario's host half says when it ended; it has no VMM-EXIT.) The L1
        # machine ended on its own while the VMM still ran: it died under the VMM (a crashed
        # or hung VMM still gets its PVTEST-VMM-EXIT line, or times out).
        how = 'it triple-faulted' if 'Triple fault' in l1_resets else 'no reason logged'
        return f'the L1 machine stopped before the VMM exited ({how})'
    return None


def retry_reason(platform, status, console, vmm_runs, l1_resets):
    """Why this run may run again (a platform flake), or None: it stands as it is. A failure
    of pvisor or its guest is never retried, even where it looks like a flake too."""
    if pvisor_failure(console):
        return None
    return platform_flake(platform, status, console, vmm_runs, l1_resets)


def record_retry(ctx, scenario, attempt, reason):
    """Says the retry out loud and appends it to BUILD/e2e/retries.log, one line each, which
    scripts/test sums up at its end."""
    log(f'{reason} (nested platform flake); retry {attempt}')
    with open(ctx.work / 'retries.log', 'a') as f:
        f.write(f'{scenario} retry {attempt}: {reason}\n')


def guest_part(console):
    """The console from the guest's first PVTEST line to the VMM's exit, kernel log dropped."""
    start = console.find('PVTEST-START')
    end = console.find('PVTEST-VMM-EXIT')
    lines = console[start:end if end >= 0 else None].splitlines()
    return '\n'.join(l for l in lines if l.strip() and not re.match(r'^\[ *\d+\.\d+\]', l))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build-dir', required=True)
    ap.add_argument('--kernel-dir', required=True, help='guest kernel cache (vmlinuz, version)')
    ap.add_argument('--module', action='append', default=[], help='guest .ko to insmod')
    ap.add_argument('--l1-tool', action='append', default=[],
                    help="a host-side test tool run-l2.sh calls (packed as /usr/bin/NAME in L1)")
    ap.add_argument('--vmm', default='pvisor', help='pvisor, qemu or a list: qemu,pvisor')
    ap.add_argument('--pvisor', default='', help='the pvisor binary')
    ap.add_argument('--timeout', type=float, default=float(os.environ.get(
        'PVISOR_E2E_TIMEOUT', '300')))
    ap.add_argument('--show', action='store_true', help="print the guest's console")
    ap.add_argument('--disk', default='', help='PV disk image PATH[,ro] instead of a fresh one')
    ap.add_argument('scenario', choices=sorted(SCENARIOS))
    args = ap.parse_args()

    ctx = Context(args)
    if not ctx.vmms or set(ctx.vmms) - {'pvisor', 'qemu'}:
        sys.exit(f'pvtest: --vmm takes pvisor and/or qemu, not {args.vmm!r}')
    spec = SCENARIOS[args.scenario]
    # Several boots on one disk (write, then verify): the VMM list repeated, one run each.
    ctx.vmms = ctx.vmms * spec.get('boots', 1)
    ctx.disk = prepare_disk(ctx, spec, args.disk)
    before = file_digest(ctx.disk[0]) if ctx.disk and spec.get('disk_unchanged') else None
    platform = choose_platform()
    cmd = launch_command(ctx, platform, args.scenario)
    logfile = ctx.work / f'{args.scenario}-{"+".join(ctx.vmms)}.log'
    tables = f', pvisor --acpi {scenario_acpi(args.scenario)}' if 'pvisor' in ctx.vmms else ''
    log(f'{args.scenario} under {args.vmm}, platform {platform}{tables}, console in {logfile}')
    # The emulated L1 machine is ready within seconds; one stuck in its own boot is killed
    # after L1_READY_TIMEOUT and retried below.
    ready = ('PVTEST-L1-READY', L1_READY_TIMEOUT) if platform == 'nested' else (None, 0.0)
    resets = l1_reset_log(ctx, args.scenario)
    resets.unlink(missing_ok=True)  # each run's own: a failure prints it
    status, secs = run_bounded(cmd, logfile, args.timeout, *ready)
    console = logfile.read_bytes().decode(errors='replace').replace('\r', '')
    for attempt in (1, 2):
        # At most two retries of a platform flake, each said out loud and counted; then the
        # run fails as usual.
        reason = retry_reason(platform, status, console, len(ctx.vmms),
                              resets.read_text(errors='replace') if resets.exists() else '')
        if not reason:
            break
        record_retry(ctx, args.scenario, attempt, reason)
        if ctx.disk and not args.disk:
            # The scenario's own image starts afresh: all of its boots run again. A disk
            # the user gave (--disk) is not written twice.
            ctx.disk = prepare_disk(ctx, spec, '')
        # The failed attempt's console stays for a look (LOG.1, LOG.2).
        logfile.replace(logfile.with_name(f'{logfile.name}.{attempt}'))
        if resets.exists():
            resets.replace(resets.with_name(f'{resets.name}.{attempt}'))
        status, secs = run_bounded(cmd, logfile, args.timeout, *ready)
        console = logfile.read_bytes().decode(errors='replace').replace('\r', '')
    if status == NOT_READY:
        status = None
    errors = check(ctx, args.scenario, console, status)
    failure = pvisor_failure(console)
    if failure:
        errors.insert(0, f'{failure}; not retried (docs/testing.md, "Retries")')
    if before and file_digest(ctx.disk[0]) != before:
        errors.append('the read-only disk image changed')
    if 'disk_check' in spec and not errors:
        values = dict(re.findall(r'PVTEST-VALUE (\w+)=(\S*)', console))
        errors += spec['disk_check'](ctx.disk[0], values)
    if args.show:
        print(guest_part(console))
    if errors:
        # Counters are checked above and KVM's trace has its own section: neither may push
        # the guest's last words out of the 40 lines a failure shows.
        lines = console.splitlines()
        trace = [l for l in lines if l.startswith('PVTEST-KVMTRACE ')]
        print('---- last console lines ----')
        print('\n'.join([l for l in lines if not l.startswith(('PVTEST-METRIC ',
                                                                 'PVTEST-KVMTRACE '))][-40:]))
        if trace:
            print('---- KVM trace before the triple fault (L1 tracefs, last 80 events) ----')
            print('\n'.join(trace[-80:]))
        if resets.exists() and 'Triple fault' in resets.read_text(errors='replace'):
            print(f'---- the L1 machine\'s reset log ({resets}, last 30 lines) ----')
            print('\n'.join(resets.read_text(errors='replace').splitlines()[-30:]))
        print('----')
        for e in errors:
            log(f'FAIL: {e}')
        return 1
    log(f'PASS in {secs:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
