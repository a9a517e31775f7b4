// SPDX-License-Identifier: GPL-2.0
/* pvbus_client.c: frontend helpers: state switches, ring grants, event channels, errors. */
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <pv/event_channel.h>
#include <pv/xen.h>

#include "internal.h"
#include "pvbus.h"
#include "pvcore.h"

struct pv_client_state {
	struct pvbus_device *dev;
	int state;
};

/*
 * Writes the state only while the device's directory exists: a toolstack that removed the
 * device must not see it recreated by a late Closed.
 */
static int pv_client_state_txn(struct pvbus_transaction t, void *arg)
{
	const struct pv_client_state *cs = arg;

	if (!pvbus_exists(t, cs->dev->nodename, ""))
		return -ENOENT;
	return pvbus_printf(t, cs->dev->nodename, "state", "%d", cs->state);
}

static int pv_client_write_state(struct pvbus_device *dev, int state)
{
	struct pv_client_state cs = { .dev = dev, .state = state };

	return pvbus_transact(pv_client_state_txn, &cs);
}

int pvbus_switch_state(struct pvbus_device *dev, int state)
{
	int err;

	if (state == dev->state)
		return 0;
	err = pv_client_write_state(dev, state);
	if (err) {
		if (state != XenbusStateClosing && state != XenbusStateClosed)
			pvbus_dev_fatal(dev, err, "writing state %s", pvbus_strstate(state));
		return err;
	}
	dev->state = state;
	return 0;
}
EXPORT_SYMBOL_GPL(pvbus_switch_state);

int pvbus_grant_ring(struct pvbus_device *dev, void *vaddr, unsigned int nr_pages, u32 *grefs)
{
	unsigned int i;
	int ref;

	for (i = 0; i < nr_pages; i++) {
		void *page = vaddr + i * PAGE_SIZE;

		ref = pvcore_grant_access(dev->otherend_id, PHYS_PFN(__pa(page)), false);
		if (ref < 0)
			goto fail;
		grefs[i] = ref;
	}
	return 0;

fail:
	pvbus_dev_fatal(dev, ref, "granting ring page %u", i);
	while (i--) {
		/* Nobody knows these refs yet: the end is immediate; the page stays ours. */
		if (!pvcore_end_access_ref(grefs[i]))
			pr_warn("pvcore: fresh grant %u still in use\n", grefs[i]);
		pvcore_release_refs(&grefs[i], 1);
	}
	return ref;
}
EXPORT_SYMBOL_GPL(pvbus_grant_ring);

int pvbus_setup_ring(struct pvbus_device *dev, gfp_t gfp, void **vaddr, unsigned int nr_pages,
		     u32 *grefs)
{
	void *ring = alloc_pages_exact(nr_pages * PAGE_SIZE, gfp | __GFP_ZERO);
	int err;

	if (!ring) {
		pvbus_dev_fatal(dev, -ENOMEM, "allocating a %u-page ring", nr_pages);
		return -ENOMEM;
	}
	err = pvbus_grant_ring(dev, ring, nr_pages, grefs);
	if (err) {
		free_pages_exact(ring, nr_pages * PAGE_SIZE);
		return err;
	}
	*vaddr = ring;
	return 0;
}
EXPORT_SYMBOL_GPL(pvbus_setup_ring);

void pvbus_teardown_ring(struct pvbus_device *dev, void **vaddr, unsigned int nr_pages,
			 u32 *grefs)
{
	unsigned int i;

	if (!*vaddr)
		return;
	/* alloc_pages_exact split the block: each page is freed on its own by the last put. */
	for (i = 0; i < nr_pages; i++)
		pvcore_end_access(grefs[i], virt_to_page(*vaddr + i * PAGE_SIZE));
	*vaddr = NULL;
}
EXPORT_SYMBOL_GPL(pvbus_teardown_ring);

int pvbus_alloc_evtchn(struct pvbus_device *dev, u32 *port)
{
	struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = dev->otherend_id };
	int err = pvcore_event_channel_op(EVTCHNOP_alloc_unbound, &op);

	if (err) {
		pvbus_dev_fatal(dev, err, "allocating an event channel");
		return err;
	}
	*port = op.port;
	return 0;
}
EXPORT_SYMBOL_GPL(pvbus_alloc_evtchn);

int pvbus_free_evtchn(struct pvbus_device *dev, u32 port)
{
	struct evtchn_close op = { .port = port };
	int err = pvcore_event_channel_op(EVTCHNOP_close, &op);

	if (err)
		pvbus_dev_error(dev, err, "closing event channel %u", port);
	return err;
}
EXPORT_SYMBOL_GPL(pvbus_free_evtchn);

#define PV_CLIENT_ERR_MAX 256

/* Logs and writes "<err> <message>" to error/<nodename>/error (relative to the home). */
__printf(3, 0) static void pv_client_report(struct pvbus_device *dev, int err, const char *fmt,
					  va_list ap)
{
	char *msg = kmalloc(PV_CLIENT_ERR_MAX, GFP_KERNEL);
	char *dir;
	int n;

	if (!msg)
		return;
	n = snprintf(msg, PV_CLIENT_ERR_MAX, "%d ", -err);
	vsnprintf(msg + n, PV_CLIENT_ERR_MAX - n, fmt, ap);
	dev_err(&dev->dev, "%s\n", msg);
	dir = kasprintf(GFP_KERNEL, "error/%s", dev->nodename);
	if (dir && pvbus_write(PVBUS_TXN_NONE, dir, "error", msg))
		dev_err(&dev->dev, "cannot write %s/error\n", dir);
	kfree(dir);
	kfree(msg);
}

void pvbus_dev_error(struct pvbus_device *dev, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pv_client_report(dev, err, fmt, ap);
	va_end(ap);
}
EXPORT_SYMBOL_GPL(pvbus_dev_error);

void pvbus_dev_fatal(struct pvbus_device *dev, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pv_client_report(dev, err, fmt, ap);
	va_end(ap);
	pvbus_switch_state(dev, XenbusStateClosing);
}
EXPORT_SYMBOL_GPL(pvbus_dev_fatal);
