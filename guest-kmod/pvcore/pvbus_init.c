// SPDX-License-Identifier: GPL-2.0
/* pvbus_init.c: bring-up and teardown order of the store client, watches, bus and debugfs. */
#include <linux/errno.h>
#include <linux/printk.h>

#include "internal.h"

static bool pv_pvbus_up;

/*
 * pvcore's other services do not need the store: a guest without one (no
 * HVM_PARAM_STORE_PFN) or with a store that does not answer runs without pvbus, and
 * pvbus_register_driver then fails with -ENODEV.
 */
int pv_pvbus_init(void)
{
	int err = pv_xs_ring_init();

	if (err) {
		pr_warn("pvcore: running without the config store and pvbus (%d)\n", err);
		return 0;
	}
	err = pv_xs_watch_init();
	if (err)
		goto out_ring;
	err = pv_bus_init();
	if (err)
		goto out_watch;
	pv_bus_debugfs_init();
	pv_pvbus_up = true;
	return 0;

out_watch:
	pv_xs_watch_exit();
out_ring:
	pv_xs_ring_exit();
	pr_warn("pvcore: running without pvbus (%d)\n", err);
	return 0;
}

bool pv_pvbus_ready(void)
{
	return pv_pvbus_up;
}

/* After pvcore's debugfs dir is gone; frontend modules are unloaded already. */
void pv_pvbus_exit(void)
{
	if (!pv_pvbus_up)
		return;
	pv_bus_debugfs_exit();
	pv_bus_exit();
	pv_xs_watch_exit();
	pv_xs_ring_exit();
	pv_pvbus_up = false;
}
