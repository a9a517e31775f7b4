// SPDX-License-Identifier: GPL-2.0
/* control.c: the toolstack's shutdown requests (control/shutdown), taken as Xen guests do. */
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"
#include "pvbus.h"

/*
 * The toolstack writes a command to control/shutdown. pvcore reads it and writes "" back
 * in one transaction, so a request is acted on once and one written meanwhile makes the
 * commit fail (-EAGAIN) and is read again; then it starts the orderly path. A command
 * pvcore does not serve (e.g. "suspend") is left in place, unacknowledged, and logged, so
 * the toolstack sees it was not taken (Linux's drivers/xen/manage.c does the same).
 */
enum pv_control_cmd {
	PV_CONTROL_NONE,	/* empty or unreadable: nothing asked */
	PV_CONTROL_POWEROFF,
	PV_CONTROL_REBOOT,
	PV_CONTROL_UNKNOWN,
};

static const struct {
	const char *name;
	enum pv_control_cmd cmd;
	bool advertised; /* control/feature-<name> */
} pv_control_cmds[] = {
	{ "poweroff", PV_CONTROL_POWEROFF, true },
	{ "halt", PV_CONTROL_POWEROFF, false },
	{ "reboot", PV_CONTROL_REBOOT, true },
};

#define PV_CONTROL_SHOWN 32 /* bytes of an unknown command that are logged */

struct pv_control_req {
	enum pv_control_cmd cmd;
	char shown[PV_CONTROL_SHOWN + 1];
};

static struct pvbus_watch pv_control_watch;
static bool pv_control_watching;
/* A reboot was started: later requests are ignored (the system is going down). */
static bool pv_control_rebooting;

static enum pv_control_cmd pv_control_parse(const char *value)
{
	size_t i;

	if (!*value)
		return PV_CONTROL_NONE;
	for (i = 0; i < ARRAY_SIZE(pv_control_cmds); i++)
		if (!strcmp(value, pv_control_cmds[i].name))
			return pv_control_cmds[i].cmd;
	return PV_CONTROL_UNKNOWN;
}

static int pv_control_take(struct pvbus_transaction t, void *arg)
{
	struct pv_control_req *req = arg;
	char *value = pvbus_read(t, "control", "shutdown", NULL);

	if (IS_ERR(value)) {
		req->cmd = PV_CONTROL_NONE;
		return 0;
	}
	req->cmd = pv_control_parse(value);
	strscpy(req->shown, value, sizeof(req->shown));
	kfree(value);
	if (req->cmd == PV_CONTROL_NONE || req->cmd == PV_CONTROL_UNKNOWN)
		return 0;
	return pvbus_write(t, "control", "shutdown", "");
}

static bool pv_control_going_down(void)
{
	return READ_ONCE(pv_control_rebooting) || system_state == SYSTEM_HALT ||
	       system_state == SYSTEM_POWER_OFF || system_state == SYSTEM_RESTART;
}

static void pv_control_poweroff(void)
{
	switch (system_state) {
	case SYSTEM_BOOTING:
	case SYSTEM_SCHEDULING:
		/* No userspace to ask yet: power off even if /sbin/poweroff cannot run. */
		orderly_poweroff(true);
		break;
	case SYSTEM_RUNNING:
		orderly_poweroff(false);
		break;
	default:
		pr_info("pvcore: toolstack poweroff ignored, the system is going down\n");
		break;
	}
}

/* On pvbus's watch thread: once at registration, then after each write to the node. */
static void pv_control_changed(struct pvbus_watch *watch, const char *path, const char *token)
{
	struct pv_control_req req = { .cmd = PV_CONTROL_NONE };
	int err;

	if (pv_control_going_down())
		return;
	err = pvbus_transact(pv_control_take, &req);
	if (err) {
		pr_warn_ratelimited("pvcore: taking control/shutdown failed: %d\n", err);
		return;
	}
	switch (req.cmd) {
	case PV_CONTROL_NONE:
		break;
	case PV_CONTROL_POWEROFF:
		pr_info("pvcore: toolstack asked to power off\n");
		pv_control_poweroff();
		break;
	case PV_CONTROL_REBOOT:
		pr_info("pvcore: toolstack asked to reboot\n");
		WRITE_ONCE(pv_control_rebooting, true);
		orderly_reboot();
		break;
	case PV_CONTROL_UNKNOWN:
		pr_info_ratelimited("pvcore: ignoring shutdown request '%*pE'\n",
				    (int)strlen(req.shown), req.shown);
		break;
	}
}

/*
 * Advertises the commands served, as Linux does: control/feature-<name> = 1. A toolstack
 * that keeps these nodes itself (read-only for the guest) answers -EACCES, which is fine.
 */
static void pv_control_advertise(void)
{
	size_t i;
	char node[32];
	int err;

	for (i = 0; i < ARRAY_SIZE(pv_control_cmds); i++) {
		if (!pv_control_cmds[i].advertised)
			continue;
		snprintf(node, sizeof(node), "feature-%s", pv_control_cmds[i].name);
		err = pvbus_write(PVBUS_TXN_NONE, "control", node, "1");
		if (err && err != -EACCES)
			pr_warn("pvcore: writing control/%s failed: %d\n", node, err);
	}
}

void pv_control_init(void)
{
	int err;

	if (!pv_pvbus_ready())
		return;
	WRITE_ONCE(pv_control_rebooting, false);
	err = pvbus_watch_path(&pv_control_watch, "control", "shutdown", pv_control_changed);
	if (err) {
		pr_warn("pvcore: no toolstack shutdown requests (watch: %d)\n", err);
		return;
	}
	pv_control_watching = true;
	pv_control_advertise();
}

void pv_control_exit(void)
{
	if (pv_control_watching)
		pvbus_unwatch_path(&pv_control_watch);
	pv_control_watching = false;
}
