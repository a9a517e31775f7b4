// SPDX-License-Identifier: GPL-2.0
/* pvbus_testdrv.c: a pvbus frontend for type "vtest" that walks the handshake, for e2e-store. */
#include <linux/module.h>
#include <linux/spinlock.h>

#include "internal.h"
#include "pvbus.h"

/*
 * Frontend side of pv/xs_wire.h's handshake with no rings: InitWait -> Initialised,
 * Connected -> Connected, Closing -> Closed; backend Closed -> Closed, and pvbus then unplugs
 * the device (remove_on_closed). Each step is logged ("probe vtest-0", "backend vtest-0 2",
 * "remove vtest-0") for debugfs "testdrv log"; the scenario plays the backend from a shell.
 */
#define PV_TESTDRV_LOG_MAX 2048

static DEFINE_SPINLOCK(pv_testdrv_lock);
static char pv_testdrv_log[PV_TESTDRV_LOG_MAX];
static size_t pv_testdrv_log_len;
static bool pv_testdrv_registered;

__printf(1, 2) static void pv_testdrv_note(const char *fmt, ...)
{
	va_list ap;
	int n;

	spin_lock(&pv_testdrv_lock);
	va_start(ap, fmt);
	n = vsnprintf(pv_testdrv_log + pv_testdrv_log_len,
		      PV_TESTDRV_LOG_MAX - pv_testdrv_log_len, fmt, ap);
	va_end(ap);
	pv_testdrv_log_len = min_t(size_t, pv_testdrv_log_len + n, PV_TESTDRV_LOG_MAX - 1);
	spin_unlock(&pv_testdrv_lock);
}

static int pv_testdrv_probe(struct pvbus_device *dev, const struct pvbus_device_id *id)
{
	pv_testdrv_note("probe %s\n", dev_name(&dev->dev));
	return 0;
}

static void pv_testdrv_otherend_changed(struct pvbus_device *dev, int backend_state)
{
	pv_testdrv_note("backend %s %d\n", dev_name(&dev->dev), backend_state);
	switch (backend_state) {
	case XenbusStateInitWait:
		pvbus_switch_state(dev, XenbusStateInitialised);
		break;
	case XenbusStateConnected:
		pvbus_switch_state(dev, XenbusStateConnected);
		break;
	case XenbusStateClosing:
	case XenbusStateClosed:
		pvbus_switch_state(dev, XenbusStateClosed);
		break;
	default:
		break;
	}
}

static void pv_testdrv_remove(struct pvbus_device *dev)
{
	pv_testdrv_note("remove %s\n", dev_name(&dev->dev));
}

static const struct pvbus_device_id pv_testdrv_ids[] = {
	{ "vtest" },
	{ "" },
};

static struct pvbus_driver pv_testdrv = {
	.name = "pvbus-vtest",
	.ids = pv_testdrv_ids,
	.probe = pv_testdrv_probe,
	.otherend_changed = pv_testdrv_otherend_changed,
	.remove = pv_testdrv_remove,
	.remove_on_closed = true,
};

/* Called with the debugfs lock held, so on/off never race each other. */
int pv_testdrv_set(bool on)
{
	int err = 0;

	if (on && !pv_testdrv_registered) {
		err = pvbus_register_driver(&pv_testdrv);
		pv_testdrv_registered = !err;
	} else if (!on && pv_testdrv_registered) {
		pvbus_unregister_driver(&pv_testdrv);
		pv_testdrv_registered = false;
	}
	return err;
}

/* Copies the log into buf (NUL-terminated) and empties it. */
void pv_testdrv_take_log(char *buf, size_t size)
{
	spin_lock(&pv_testdrv_lock);
	snprintf(buf, size, "%.*s", (int)pv_testdrv_log_len, pv_testdrv_log);
	pv_testdrv_log_len = 0;
	spin_unlock(&pv_testdrv_lock);
}
