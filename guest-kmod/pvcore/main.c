// SPDX-License-Identifier: GPL-2.0
/* main.c: pvisor detection, shared_info, hypercall wrappers, module init and exit. */
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <asm/hypervisor.h>
#include <asm/processor.h>
#include <pv/event_channel.h>
#include <pv/grant_table.h>
#include <pv/hvm.h>
#include <pv/memory.h>
#include <pv/sched.h>
#include <pv/version.h>
#include <pv/xen.h>

#include "hypercall.h"
#include "internal.h"
#include "pvcore.h"

struct shared_info *pv_shinfo;
unsigned int pv_nr_vcpus;
struct dentry *pv_debugfs_dir;

int pvcore_event_channel_op(int cmd, void *arg)
{
	return pv_hypercall2(__HYPERVISOR_event_channel_op, cmd, (unsigned long)arg);
}
EXPORT_SYMBOL_GPL(pvcore_event_channel_op);

int pvcore_sched_op(int cmd, void *arg)
{
	return pv_hypercall2(__HYPERVISOR_sched_op, cmd, (unsigned long)arg);
}
EXPORT_SYMBOL_GPL(pvcore_sched_op);

int pvcore_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
	return pv_hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, (unsigned long)arg);
}
EXPORT_SYMBOL_GPL(pvcore_vcpu_op);

int pvcore_memory_op(unsigned int cmd, void *arg)
{
	return pv_hypercall2(__HYPERVISOR_memory_op, cmd, (unsigned long)arg);
}
EXPORT_SYMBOL_GPL(pvcore_memory_op);

int pvcore_hvm_op(int cmd, void *arg)
{
	return pv_hypercall2(__HYPERVISOR_hvm_op, cmd, (unsigned long)arg);
}
EXPORT_SYMBOL_GPL(pvcore_hvm_op);

int pvcore_grant_table_op(unsigned int cmd, void *uop, unsigned int count)
{
	return pv_hypercall3(__HYPERVISOR_grant_table_op, cmd, (unsigned long)uop, count);
}
EXPORT_SYMBOL_GPL(pvcore_grant_table_op);

int pvcore_hvm_get_param(u32 index, u64 *value)
{
	struct xen_hvm_param param = { .domid = DOMID_SELF, .index = index };
	int err;

	err = pvcore_hvm_op(HVMOP_get_param, &param);
	if (!err)
		*value = param.value;
	return err;
}
EXPORT_SYMBOL_GPL(pvcore_hvm_get_param);

/* Returns the vCPU count pvisor reports, or 0 when pvisor's CPUID leaves are absent. */
static unsigned int pv_detect(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return 0;
	cpuid(PV_CPUID_BASE, &eax, &ebx, &ecx, &edx);
	if (ebx != PV_CPUID_SIGNATURE_EBX || ecx != PV_CPUID_SIGNATURE_ECX ||
	    edx != PV_CPUID_SIGNATURE_EDX || eax < PV_CPUID_LEAF_MAX)
		return 0;
	cpuid(PV_CPUID_BASE + 1, &eax, &ebx, &ecx, &edx);
	pr_info("pvcore: pvisor interface %u.%u\n", eax >> 16, eax & 0xffff);
	cpuid(PV_CPUID_BASE + 2, &eax, &ebx, &ecx, &edx);
	if (eax != PV_HCALL_PORT || ebx != PV_NOTIFY_PORT) {
		pr_err("pvcore: unsupported ports (hypercall %#x, notify %#x)\n", eax, ebx);
		return 0;
	}
	if (!(edx & PV_FEATURE_UPCALL_MSIX) || !(edx & PV_FEATURE_SINGLESHOT_TIMER)) {
		pr_err("pvcore: pvisor lacks MSI-X upcalls or single-shot timers (%#x)\n", edx);
		return 0;
	}
	return ecx;
}

/*
 * pvisor zeroes and then writes the page named by add_to_physmap for the rest of the
 * domain's life; there is no way to take it back. So the page is never freed: a reload
 * maps a fresh page (pvisor moves shared_info there) and the old one stays leaked.
 */
static int pv_shared_info_init(void)
{
	struct xen_add_to_physmap xatp = {
		.domid = DOMID_SELF,
		.space = XENMAPSPACE_shared_info,
		.idx = 0,
	};
	unsigned long page = get_zeroed_page(GFP_KERNEL);
	int err;

	if (!page)
		return -ENOMEM;
	xatp.gpfn = PHYS_PFN(__pa(page));
	err = pvcore_memory_op(XENMEM_add_to_physmap, &xatp);
	if (err) {
		pr_err("pvcore: add_to_physmap(shared_info) failed: %d\n", err);
		free_page(page);
		return err;
	}
	pv_shinfo = (struct shared_info *)page;
	return 0;
}

static int __init pvcore_init(void)
{
	unsigned int vcpus = pv_detect();
	int err;

	if (!vcpus) {
		pr_err("pvcore: pvisor not detected (CPUID 0x40000100)\n");
		return -ENODEV;
	}
	pv_nr_vcpus = min3(vcpus, nr_cpu_ids, (unsigned int)XEN_LEGACY_MAX_VCPUS);
	if (pv_nr_vcpus < num_possible_cpus())
		pr_warn("pvcore: serving %u of %u CPUs\n", pv_nr_vcpus, num_possible_cpus());
	err = pv_shared_info_init();
	if (err)
		return err;
	pv_debugfs_dir = debugfs_create_dir("pvcore", NULL);
	err = pv_gnttab_init();
	if (err)
		goto out_debugfs;
	err = pv_events_init();
	if (err)
		goto out_gnttab;
	err = pv_platform_init();
	if (err)
		goto out_events;
	err = pv_time_init();
	if (err)
		goto out_platform;
	err = pv_console_init();
	if (err)
		goto out_time;
	err = pv_shutdown_init();
	if (err)
		goto out_console;
	err = pv_selftest_init();
	if (err)
		goto out_shutdown;
	err = pv_pvbus_init();
	if (err)
		goto out_selftest;
	/* Both run without the store: no toolstack requests, a balloon without a target. */
	pv_control_init();
	pv_balloon_init();
	pr_info("pvcore: ready, %u vCPUs, shared_info at pfn %#lx\n", pv_nr_vcpus,
		PHYS_PFN(__pa(pv_shinfo)));
	return 0;

out_selftest:
	pv_selftest_exit();
out_shutdown:
	pv_shutdown_exit();
out_console:
	pv_console_exit();
out_time:
	pv_time_exit();
out_platform:
	pv_platform_exit();
out_events:
	pv_events_exit();
out_gnttab:
	pv_gnttab_exit();
out_debugfs:
	debugfs_remove_recursive(pv_debugfs_dir);
	return err;
}

static void __exit pvcore_exit(void)
{
	/* First: debugfs_remove waits for readers and writers (a running ping-pong). */
	debugfs_remove_recursive(pv_debugfs_dir);
	pv_balloon_exit();
	pv_control_exit();
	pv_pvbus_exit();
	pv_selftest_exit();
	pv_shutdown_exit();
	pv_console_exit();
	pv_time_exit();
	pv_platform_exit();
	pv_events_exit();
	pv_gnttab_exit();
	pr_info("pvcore: unloaded\n");
}

module_init(pvcore_init);
module_exit(pvcore_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvisor paravirtual core: event channels, PV clock, console, shutdown, balloon");
