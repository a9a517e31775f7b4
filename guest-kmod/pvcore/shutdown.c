// SPDX-License-Identifier: GPL-2.0
/* shutdown.c: poweroff, reboot and panic reported to pvisor through SCHEDOP_shutdown. */
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/pm.h>
#include <linux/reboot.h>
#include <pv/sched.h>

#include "internal.h"
#include "pvcore.h"

static void (*pv_saved_power_off)(void);

/* Does not return on success: pvisor ends the domain with the reason's exit status. */
static void pv_shutdown(u32 reason)
{
	struct sched_shutdown arg = { .reason = reason };
	int err = pvcore_sched_op(SCHEDOP_shutdown, &arg);

	pr_emerg("pvcore: SCHEDOP_shutdown(%u) returned %d\n", reason, err);
}

static void pv_power_off(void)
{
	pv_shutdown(SHUTDOWN_poweroff);
}

static int pv_restart(struct notifier_block *nb, unsigned long mode, void *cmd)
{
	pv_shutdown(SHUTDOWN_reboot);
	return NOTIFY_DONE;
}

static int pv_panic(struct notifier_block *nb, unsigned long event, void *msg)
{
	pv_shutdown(SHUTDOWN_crash);
	return NOTIFY_DONE;
}

/* Above the default 128 so pvisor hears of a reboot before the keyboard-controller reset. */
static struct notifier_block pv_restart_nb = {
	.notifier_call = pv_restart,
	.priority = 192,
};

/* Last in the chain: other panic notifiers (kmsg dumpers) run before the domain ends. */
static struct notifier_block pv_panic_nb = {
	.notifier_call = pv_panic,
	.priority = INT_MIN,
};

int pv_shutdown_init(void)
{
	int err = register_restart_handler(&pv_restart_nb);

	if (err)
		return err;
	atomic_notifier_chain_register(&panic_notifier_list, &pv_panic_nb);
	pv_saved_power_off = pm_power_off;
	pm_power_off = pv_power_off;
	return 0;
}

void pv_shutdown_exit(void)
{
	pm_power_off = pv_saved_power_off;
	atomic_notifier_chain_unregister(&panic_notifier_list, &pv_panic_nb);
	unregister_restart_handler(&pv_restart_nb);
}
