// SPDX-License-Identifier: GPL-2.0
/* pvbus_bus.c: the "pvbus" bus: frontend devices from device/<type>/<id>, drivers by type. */
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <pv/xen.h>
#include <pv/xs_wire.h>

#include "internal.h"
#include "pvbus.h"

/*
 * Device lifetime: devices are added on the watch thread only (the "device" watch), so two
 * scans never race. They are removed there too, or from pv_bus_unplug_work (backend Closed,
 * remove_on_closed), or at exit; PV_BUS_GONE makes sure exactly one of them unregisters a
 * device. The work item takes no lock the watch thread holds, so it may wait (in unwatch)
 * for a running callback. The store's contents are the guest's own nodes plus what the
 * backend wrote; names and values are validated before they become sysfs names.
 */
#define PV_BUS_UNPLUG 0 /* pvbus_device.pvbus_flags: the work item should remove it */
#define PV_BUS_GONE 1	/* being or been unregistered */

static struct pvbus_watch pv_bus_device_watch;
static bool pv_bus_registered;
struct pv_bus_stats pv_bus_stats;

static void pv_bus_unregister(struct pvbus_device *dev)
{
	if (test_and_set_bit(PV_BUS_GONE, &dev->pvbus_flags))
		return;
	device_unregister(&dev->dev);
	pv_bus_stats.devices_removed++;
}

static void pv_bus_schedule_unplug(struct pvbus_device *dev);

static const struct pvbus_device_id *pv_bus_match_id(const struct pvbus_driver *drv,
						     const struct pvbus_device *dev)
{
	const struct pvbus_device_id *id;

	for (id = drv->ids; id && id->devicetype[0]; id++)
		if (!strcmp(id->devicetype, dev->devicetype))
			return id;
	return NULL;
}

static int pv_bus_match(struct device *dev, struct device_driver *drv)
{
	return pv_bus_match_id(to_pvbus_driver(drv), to_pvbus_device(dev)) != NULL;
}

static int pv_bus_uevent(struct device *dev, struct kobj_uevent_env *env)
{
	struct pvbus_device *pdev = to_pvbus_device(dev);

	if (add_uevent_var(env, "PVBUS_PATH=%s", pdev->nodename))
		return -ENOMEM;
	return add_uevent_var(env, "MODALIAS=pvbus:%s", pdev->devicetype);
}

int pvbus_read_otherend_state(struct pvbus_device *dev)
{
	unsigned int state = pvbus_read_unsigned(dev->otherend, "state", XenbusStateUnknown);

	return state <= XenbusStateReconfigured ? (int)state : XenbusStateUnknown;
}
EXPORT_SYMBOL_GPL(pvbus_read_otherend_state);

static void pv_bus_backend_restarted(struct pvbus_device *dev, struct pvbus_driver *drv)
{
	int err;

	dev_info(&dev->dev, "backend restarted, redoing the handshake\n");
	err = pvbus_switch_state(dev, XenbusStateInitialising);
	if (!err)
		err = drv->reconnect(dev);
	if (err)
		pvbus_dev_fatal(dev, err, "reconnecting to the restarted backend");
}

static void pv_bus_otherend_changed(struct pvbus_watch *watch, const char *path,
				    const char *token)
{
	struct pvbus_device *dev = container_of(watch, struct pvbus_device, otherend_watch);
	struct pvbus_driver *drv;
	int state;

	/* A driver being unbound waits (unwatch) for this callback before its remove. */
	if (!dev->dev.driver)
		return;
	drv = to_pvbus_driver(dev->dev.driver);
	state = pvbus_read_otherend_state(dev);
	dev_dbg(&dev->dev, "backend %s\n", pvbus_strstate(state));
	wake_up_all(&dev->otherend_wq);
	if (drv->reconnect && state == XenbusStateInitWait &&
	    (dev->state == XenbusStateConnected || dev->state == XenbusStateClosed)) {
		pv_bus_backend_restarted(dev, drv);
		return;
	}
	if (drv->otherend_changed)
		drv->otherend_changed(dev, state);
	if (drv->remove_on_closed && state == XenbusStateClosed &&
	    (dev->state == XenbusStateClosing || dev->state == XenbusStateClosed))
		pv_bus_schedule_unplug(dev);
}

static int pv_bus_probe(struct device *d)
{
	struct pvbus_device *dev = to_pvbus_device(d);
	struct pvbus_driver *drv = to_pvbus_driver(d->driver);
	const struct pvbus_device_id *id = pv_bus_match_id(drv, dev);
	int err;

	if (!id || !drv->probe)
		return -ENODEV;
	dev->state = XenbusStateUnknown;
	err = pvbus_switch_state(dev, XenbusStateInitialising);
	if (err)
		return err;
	err = drv->probe(dev, id);
	if (err)
		return err;
	/* The first event of the watch reports the backend's current state. */
	err = pvbus_watch_path(&dev->otherend_watch, dev->otherend, "state",
			       pv_bus_otherend_changed);
	if (err) {
		dev_err(d, "cannot watch %s/state: %d\n", dev->otherend, err);
		if (drv->remove)
			drv->remove(dev);
		return err;
	}
	return 0;
}

static void pv_bus_remove(struct device *d)
{
	struct pvbus_device *dev = to_pvbus_device(d);
	struct pvbus_driver *drv = to_pvbus_driver(d->driver);

	pvbus_unwatch_path(&dev->otherend_watch);
	if (drv->remove)
		drv->remove(dev);
	/* Tells the backend to release its side; a node already gone stays gone. */
	pvbus_switch_state(dev, XenbusStateClosed);
}

static ssize_t nodename_show(struct device *d, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_pvbus_device(d)->nodename);
}
static DEVICE_ATTR_RO(nodename);

static ssize_t devtype_show(struct device *d, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_pvbus_device(d)->devicetype);
}
static DEVICE_ATTR_RO(devtype);

static ssize_t otherend_show(struct device *d, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_pvbus_device(d)->otherend);
}
static DEVICE_ATTR_RO(otherend);

static ssize_t modalias_show(struct device *d, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "pvbus:%s\n", to_pvbus_device(d)->devicetype);
}
static DEVICE_ATTR_RO(modalias);

static struct attribute *pv_bus_dev_attrs[] = {
	&dev_attr_nodename.attr,
	&dev_attr_devtype.attr,
	&dev_attr_otherend.attr,
	&dev_attr_modalias.attr,
	NULL,
};
ATTRIBUTE_GROUPS(pv_bus_dev);

static struct bus_type pv_bus_type = {
	.name = "pvbus",
	.match = pv_bus_match,
	.uevent = pv_bus_uevent,
	.probe = pv_bus_probe,
	.remove = pv_bus_remove,
	.dev_groups = pv_bus_dev_groups,
};

int __pvbus_register_driver(struct pvbus_driver *drv, struct module *owner,
			    const char *mod_name)
{
	if (!pv_bus_registered)
		return -ENODEV;
	drv->driver.name = drv->name ? drv->name : mod_name;
	drv->driver.bus = &pv_bus_type;
	drv->driver.owner = owner;
	drv->driver.mod_name = mod_name;
	return driver_register(&drv->driver);
}
EXPORT_SYMBOL_GPL(__pvbus_register_driver);

void pvbus_unregister_driver(struct pvbus_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL_GPL(pvbus_unregister_driver);

static void pv_bus_release(struct device *d)
{
	struct pvbus_device *dev = to_pvbus_device(d);

	kfree(dev->devicetype);
	kfree(dev->nodename);
	kfree(dev->otherend);
	kfree(dev);
}

static int pv_bus_match_nodename(struct device *d, const void *nodename)
{
	struct pvbus_device *dev = to_pvbus_device(d);

	return !test_bit(PV_BUS_GONE, &dev->pvbus_flags) && !strcmp(dev->nodename, nodename);
}

/* Unregisters, one by one, the devices for which @match is true. */
static void pv_bus_unregister_matching(int (*match)(struct device *, const void *))
{
	struct device *d;

	while ((d = bus_find_device(&pv_bus_type, NULL, NULL, match))) {
		pv_bus_unregister(to_pvbus_device(d));
		put_device(d);
	}
}

static struct pvbus_device *pv_bus_find(const char *nodename)
{
	struct device *d = bus_find_device(&pv_bus_type, NULL, nodename, pv_bus_match_nodename);

	return d ? to_pvbus_device(d) : NULL; /* holds a reference */
}

/* Names become sysfs and path components: [A-Za-z0-9_-], 1..31 characters. */
static bool pv_bus_valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > 31)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum(s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/* Reads backend and backend-id; the backend path must be absolute. */
static int pv_bus_read_otherend(struct pvbus_device *dev)
{
	char *backend;
	int err;

	err = pvbus_scanf(PVBUS_TXN_NONE, dev->nodename, "backend-id", "%i", &dev->otherend_id);
	if (err != 1 || dev->otherend_id < 0 || dev->otherend_id >= DOMID_SELF)
		return err < 0 ? err : -EINVAL;
	backend = pvbus_read(PVBUS_TXN_NONE, dev->nodename, "backend", NULL);
	if (IS_ERR(backend))
		return PTR_ERR(backend);
	if (backend[0] != '/' || strlen(backend) > XENSTORE_ABS_PATH_MAX) {
		kfree(backend);
		return -EINVAL;
	}
	dev->otherend = backend;
	return 0;
}

static void pv_bus_add(const char *type, const char *id)
{
	struct pvbus_device *dev;
	int err;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return;
	init_waitqueue_head(&dev->otherend_wq);
	dev->devicetype = kstrdup(type, GFP_KERNEL);
	dev->nodename = kasprintf(GFP_KERNEL, "device/%s/%s", type, id);
	dev->dev.bus = &pv_bus_type;
	dev->dev.release = pv_bus_release;
	device_initialize(&dev->dev); /* from here on, put_device frees dev */
	err = -ENOMEM;
	if (dev->devicetype && dev->nodename)
		err = pv_bus_read_otherend(dev);
	if (!err)
		err = dev_set_name(&dev->dev, "%s-%s", type, id);
	if (!err)
		err = device_add(&dev->dev);
	if (err) {
		/* ENOENT: backend or backend-id not written yet; their event comes next. */
		if (err == -ENOENT)
			pr_debug("pvcore: device/%s/%s incomplete\n", type, id);
		else
			pr_warn("pvcore: device/%s/%s not added: %d\n", type, id, err);
		put_device(&dev->dev);
		return;
	}
	pv_bus_stats.devices_added++;
}

/* Adds device/<type>/<id> when the node exists and has no device yet; removes it when gone. */
/*
 * Nodes whose device was unplugged (remove_on_closed) while the node stayed: not added again
 * until the node goes away, or pvbus's own Closed write would bring the device back at once.
 * Touched on the watch thread and by pv_bus_schedule_unplug (also the watch thread).
 */
struct pv_bus_unplugged {
	struct list_head link;
	char nodename[];
};
static LIST_HEAD(pv_bus_unplugged_list);

static struct pv_bus_unplugged *pv_bus_find_unplugged(const char *nodename)
{
	struct pv_bus_unplugged *u;

	list_for_each_entry(u, &pv_bus_unplugged_list, link)
		if (!strcmp(u->nodename, nodename))
			return u;
	return NULL;
}

static void pv_bus_forget_unplugged(struct pv_bus_unplugged *u)
{
	list_del(&u->link);
	kfree(u);
}

static void pv_bus_prune_unplugged(void)
{
	struct pv_bus_unplugged *u, *tmp;

	list_for_each_entry_safe(u, tmp, &pv_bus_unplugged_list, link)
		if (!pvbus_exists(PVBUS_TXN_NONE, u->nodename, ""))
			pv_bus_forget_unplugged(u);
}

/* Adds or removes the device of one node; an unplugged node is left alone while it exists. */
static void pv_bus_sync_node(const char *type, const char *id, const char *nodename)
{
	struct pv_bus_unplugged *u = pv_bus_find_unplugged(nodename);
	bool exists = pvbus_exists(PVBUS_TXN_NONE, nodename, "");
	struct pvbus_device *dev = pv_bus_find(nodename);

	if (u && !exists)
		pv_bus_forget_unplugged(u);
	if (exists && !dev && !u)
		pv_bus_add(type, id);
	if (!exists && dev)
		pv_bus_unregister(dev);
	if (dev)
		put_device(&dev->dev);
}

static void pv_bus_sync(const char *type, const char *id)
{
	char *nodename = kasprintf(GFP_KERNEL, "device/%s/%s", type, id);

	if (!nodename || !pv_bus_valid_name(type) || !pv_bus_valid_name(id)) {
		kfree(nodename);
		return;
	}
	pv_bus_sync_node(type, id, nodename);
	kfree(nodename);
}

static void pv_bus_scan_type(const char *type)
{
	char *dir = kasprintf(GFP_KERNEL, "device/%s", type);
	unsigned int i, n;
	char **ids;

	if (!dir)
		return;
	ids = pvbus_directory(PVBUS_TXN_NONE, dir, "", &n);
	kfree(dir);
	if (IS_ERR(ids))
		return;
	for (i = 0; i < n; i++)
		pv_bus_sync(type, ids[i]);
	kfree(ids);
}

static void pv_bus_scan(void)
{
	unsigned int i, n;
	char **types = pvbus_directory(PVBUS_TXN_NONE, "device", "", &n);

	if (IS_ERR(types))
		return;
	for (i = 0; i < n; i++)
		pv_bus_scan_type(types[i]);
	kfree(types);
}

static int pv_bus_node_gone(struct device *d, const void *unused)
{
	struct pvbus_device *dev = to_pvbus_device(d);

	return !test_bit(PV_BUS_GONE, &dev->pvbus_flags) &&
	       !pvbus_exists(PVBUS_TXN_NONE, dev->nodename, "");
}

/*
 * "device" changed: path is "device" (first event: full scan), or device/<type>[/<id>[/...]]
 * (only that device matters). Relative paths, because the watch is relative.
 */
static void pv_bus_device_changed(struct pvbus_watch *watch, const char *path,
				  const char *token)
{
	char type[32], id[32];
	int end = 0;
	int n = sscanf(path, "device/%31[^/]/%31[^/]%n", type, id, &end);

	/* Exactly device/<type>/<id> or below it; a longer (truncated) name means a full scan. */
	if (n == 2 && end > 0 && (path[end] == '\0' || path[end] == '/')) {
		pv_bus_sync(type, id);
		return;
	}
	pv_bus_scan();
	/* Every device whose node no longer exists (a whole type dir may go at once). */
	pv_bus_unregister_matching(pv_bus_node_gone);
	pv_bus_prune_unplugged();
}

static int pv_bus_unplug_wanted(struct device *d, const void *unused)
{
	struct pvbus_device *dev = to_pvbus_device(d);

	return !test_bit(PV_BUS_GONE, &dev->pvbus_flags) &&
	       test_bit(PV_BUS_UNPLUG, &dev->pvbus_flags);
}

static void pv_bus_unplug_work_fn(struct work_struct *work)
{
	pv_bus_unregister_matching(pv_bus_unplug_wanted);
}
static DECLARE_WORK(pv_bus_unplug_work, pv_bus_unplug_work_fn);

/*
 * A device cannot be unregistered from its own otherend callback: a driver being unbound at
 * the same time holds the device lock while it waits for that callback to end.
 */
static void pv_bus_schedule_unplug(struct pvbus_device *dev)
{
	size_t n = strlen(dev->nodename) + 1;
	struct pv_bus_unplugged *u;

	if (test_and_set_bit(PV_BUS_UNPLUG, &dev->pvbus_flags))
		return;
	u = kmalloc(sizeof(*u) + n, GFP_KERNEL);
	if (u && !pv_bus_find_unplugged(dev->nodename)) {
		memcpy(u->nodename, dev->nodename, n);
		list_add(&u->link, &pv_bus_unplugged_list);
	} else {
		kfree(u);
	}
	schedule_work(&pv_bus_unplug_work);
}

static int pv_bus_any(struct device *d, const void *unused)
{
	return !test_bit(PV_BUS_GONE, &to_pvbus_device(d)->pvbus_flags);
}

int pv_bus_init(void)
{
	int err = bus_register(&pv_bus_type);

	if (err)
		return err;
	err = pvbus_watch_path(&pv_bus_device_watch, "device", "", pv_bus_device_changed);
	if (err) {
		pr_warn("pvcore: cannot watch device/: %d\n", err);
		bus_unregister(&pv_bus_type);
		return err;
	}
	pv_bus_registered = true;
	return 0;
}

/* Frontend modules hold references on pvcore, so every driver is gone already. */
void pv_bus_exit(void)
{
	pvbus_unwatch_path(&pv_bus_device_watch);
	flush_work(&pv_bus_unplug_work);
	pv_bus_unregister_matching(pv_bus_any);
	while (!list_empty(&pv_bus_unplugged_list))
		pv_bus_forget_unplugged(list_first_entry(&pv_bus_unplugged_list,
							 struct pv_bus_unplugged, link));
	bus_unregister(&pv_bus_type);
	pv_bus_registered = false;
}
