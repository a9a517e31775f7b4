// SPDX-License-Identifier: GPL-2.0
/* shutdown.c: poweroff, reboot and panic reported to pvisor through SCHEDOP_shutdown. */
#include <linux/err.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/reboot.h>
#include <linux/syscore_ops.h>
#include <pv/sched.h>

#include "internal.h"
#include "pvcore.h"

static struct sys_off_handler *pv_power_off_handler;

/* Does not return on success: pvisor ends the domain with the reason's exit status. */
static void pv_shutdown(u32 reason)
{
	struct sched_shutdown arg = { .reason = reason };
	int err = pvcore_sched_op(SCHEDOP_shutdown, &arg);

	pr_emerg("pvcore: SCHEDOP_shutdown(%u) returned %d\n", reason, err);
}

static int pv_power_off(struct sys_off_data *data)
{
	pv_shutdown(SHUTDOWN_poweroff);
	return NOTIFY_DONE;
}

static int pv_panic(struct notifier_block *nb, unsigned long event, void *msg)
{
	pv_shutdown(SHUTDOWN_crash);
	return NOTIFY_DONE;
}

/*
 * x86's machine_restart goes straight to ACPI / keyboard-controller resets and never calls
 * the restart handlers, so a reboot is reported from the syscore shutdown step: it
 * runs after device_shutdown() on the reboot CPU, the last point a module can hook.
 * (A kexec passes through here too and would become a domain reboot.)
 */
static void pv_syscore_shutdown(void)
{
	if (system_state == SYSTEM_RESTART)
		pv_shutdown(SHUTDOWN_reboot);
}

static struct syscore_ops pv_syscore_ops = {
	.shutdown = pv_syscore_shutdown,
};

/* Last in the chain: other panic notifiers (kmsg dumpers) run before the domain ends. */
static struct notifier_block pv_panic_nb = {
	.notifier_call = pv_panic,
	.priority = INT_MIN,
};

int pv_shutdown_init(void)
{
	/* Ahead of firmware (ACPI) power-off: pvisor's poweroff is the one that ends the VM. */
	pv_power_off_handler = register_sys_off_handler(SYS_OFF_MODE_POWER_OFF,
							SYS_OFF_PRIO_FIRMWARE + 1,
							pv_power_off, NULL);
	if (IS_ERR(pv_power_off_handler))
		return PTR_ERR(pv_power_off_handler);
	atomic_notifier_chain_register(&panic_notifier_list, &pv_panic_nb);
	register_syscore_ops(&pv_syscore_ops);
	return 0;
}

void pv_shutdown_exit(void)
{
	unregister_syscore_ops(&pv_syscore_ops);
	unregister_sys_off_handler(pv_power_off_handler);
	atomic_notifier_chain_unregister(&panic_notifier_list, &pv_panic_nb);
}
