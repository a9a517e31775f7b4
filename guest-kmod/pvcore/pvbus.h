/* SPDX-License-Identifier: GPL-2.0 */
/* pvbus.h: the config store client and device bus that frontends (pvblk, pvnet) use. */
#ifndef PVBUS_H
#define PVBUS_H

#include <linux/device.h>
#include <linux/list.h>
#include <linux/gfp.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <pv/xs_wire.h>

/*
 * Connection states are plain ints holding the XenbusState* values of pv/xs_wire.h, which
 * also draws the frontend/backend handshake ("Split-driver connection states").
 */
/* Printable name of a state ("Connected"), "Invalid" for anything else. */
const char *pvbus_strstate(int state);

/*
 * Store access. The path is "@dir/@node", or @dir alone when @node is "", or @node alone
 * when @dir is "". Absolute paths start with '/'; the store resolves a relative one under
 * this domain's home, /local/domain/<own id> (so dev->nodename works as @dir). Errors are
 * negative Linux errnos mapped from the store's names (-ENOENT, -EACCES, -EAGAIN, ...),
 * -EIO for a broken store connection, -E2BIG for a request over XENSTORE_PAYLOAD_MAX,
 * -EINTR when the caller is killed while waiting. All may sleep. Pass PVBUS_TXN_NONE
 * outside a transaction.
 */
struct pvbus_transaction {
	u32 id; /* 0 = no transaction */
};
#define PVBUS_TXN_NONE ((struct pvbus_transaction){ .id = 0 })

int pvbus_transaction_start(struct pvbus_transaction *t);
/*
 * Commits (abort false) or aborts (abort true). -EAGAIN on commit: another change
 * conflicted, nothing was written; the caller redoes the whole transaction.
 */
int pvbus_transaction_end(struct pvbus_transaction t, bool abort);
/*
 * Runs @fn in a transaction and commits it, redoing the whole transaction while the commit
 * conflicts (at most PVBUS_TRANSACT_TRIES times, then -EAGAIN: a store that always
 * conflicts cannot hold the guest in a loop). An error from @fn aborts and is returned.
 */
#define PVBUS_TRANSACT_TRIES 64
int pvbus_transact(int (*fn)(struct pvbus_transaction t, void *arg), void *arg);

/* Returns a kmalloc'ed NUL-terminated copy of the value (len in *len if non-NULL) or ERR_PTR. */
void *pvbus_read(struct pvbus_transaction t, const char *dir, const char *node,
		 unsigned int *len);
/* Child names: kmalloc'ed array of *num pointers into the same allocation (one kfree). */
char **pvbus_directory(struct pvbus_transaction t, const char *dir, const char *node,
		       unsigned int *num);
int pvbus_write(struct pvbus_transaction t, const char *dir, const char *node,
		const char *value);
int pvbus_mkdir(struct pvbus_transaction t, const char *dir, const char *node);
int pvbus_rm(struct pvbus_transaction t, const char *dir, const char *node);
/* true when the node exists and this domain may read it. */
bool pvbus_exists(struct pvbus_transaction t, const char *dir, const char *node);
/* sscanf on the value; returns the number of items converted or a negative errno. */
__scanf(4, 5) int pvbus_scanf(struct pvbus_transaction t, const char *dir, const char *node,
			      const char *fmt, ...);
__printf(4, 5) int pvbus_printf(struct pvbus_transaction t, const char *dir, const char *node,
				const char *fmt, ...);
/* Reads an unsigned decimal; @def when missing or malformed (as xenbus_read_unsigned). */
unsigned int pvbus_read_unsigned(const char *dir, const char *node, unsigned int def);

/*
 * Watches. The callback runs on pvbus's single watch thread (it may sleep and use the store,
 * but must not wait for another watch callback), once at registration and again after each
 * change at or below @node. @path is the node that changed (it may be deeper than the watched
 * one); @token is pvbus's own and not for the caller. A callback may unwatch any watch,
 * its own included. A watch is the caller's memory; after
 * pvbus_unwatch_path() returns, its callback is not running and will not run again.
 */
struct pvbus_watch {
	struct list_head list; /* pvbus's */
	char *node;	       /* pvbus's: kmalloc'ed absolute or relative path */
	void (*callback)(struct pvbus_watch *watch, const char *path, const char *token);
};
/* Watches dir/node (dir "" for node alone); the path is copied. */
int pvbus_watch_path(struct pvbus_watch *watch, const char *dir, const char *node,
		     void (*callback)(struct pvbus_watch *, const char *, const char *));
void pvbus_unwatch_path(struct pvbus_watch *watch);

/*
 * Devices: one per frontend node "device/<type>/<id>" under this domain's home. pvbus reads
 * backend-id and backend from it, watches the backend's state node and calls the driver's
 * otherend_changed on every change.
 */
struct pvbus_device {
	const char *devicetype; /* "vbd", "vif" */
	const char *nodename;	/* "device/vbd/51712" (relative to the domain's home) */
	const char *otherend;	/* "/local/domain/0/backend/vbd/1/51712" */
	int otherend_id;	/* backend domain */
	struct device dev;
	int state; /* XenbusState*: the frontend state last written by pvbus_switch_state */
	/* Woken after every backend state change (e.g. to wait, bounded, for Closed). */
	wait_queue_head_t otherend_wq;
	/* pvbus's own from here on. */
	struct pvbus_watch otherend_watch;
	unsigned long pvbus_flags;
};
#define to_pvbus_device(d) container_of(d, struct pvbus_device, dev)

struct pvbus_device_id {
	char devicetype[32];
};

struct pvbus_driver {
	const char *name; /* driver name, defaults to the module's */
	const struct pvbus_device_id *ids; /* zero-terminated: { "vbd" }, { "" } */
	/* The frontend is Initialising; read features, set up, usually wait for InitWait. */
	int (*probe)(struct pvbus_device *dev, const struct pvbus_device_id *id);
	/*
	 * The backend's state changed; also called soon after probe with the current state
	 * (the watch's first event). Runs on the watch thread.
	 */
	void (*otherend_changed)(struct pvbus_device *dev, int backend_state);
	/*
	 * Release rings and channels. On driver unload or device removal pvbus calls it, then
	 * writes Closed. A driver that wants a graceful close switches to Closing itself first.
	 */
	void (*remove)(struct pvbus_device *dev);
	/*
	 * Optional: the backend restarted (it went to InitWait while this frontend was
	 * Connected or Closed). pvbus has switched the frontend to Initialising; the driver
	 * drops its old rings and channels and redoes the handshake as for a first InitWait.
	 * Called instead of otherend_changed for that event; an error makes pvbus call
	 * pvbus_dev_fatal. Without the hook, otherend_changed sees the InitWait as usual.
	 */
	int (*reconnect)(struct pvbus_device *dev);
	/*
	 * true: pvbus unregisters the device once the backend is Closed and the frontend has
	 * switched to Closing or Closed (hot unplug driven by the backend), after
	 * otherend_changed saw Closed. The node stays in the store; pvbus adds a device for it
	 * again only after the node has been removed and written anew.
	 */
	bool remove_on_closed;
	struct device_driver driver;
};
#define to_pvbus_driver(d) container_of(d, struct pvbus_driver, driver)

int __pvbus_register_driver(struct pvbus_driver *drv, struct module *owner,
			    const char *mod_name);
#define pvbus_register_driver(drv) __pvbus_register_driver(drv, THIS_MODULE, KBUILD_MODNAME)
void pvbus_unregister_driver(struct pvbus_driver *drv);

/* Writes the frontend's state node (no-op when unchanged); 0 or a negative errno. */
int pvbus_switch_state(struct pvbus_device *dev, int state);
/* The backend's state as read now (XenbusStateUnknown when missing or unreadable). */
int pvbus_read_otherend_state(struct pvbus_device *dev);

/*
 * Rings. pvbus_setup_ring allocates @nr_pages zeroed, physically contiguous pages
 * (alloc_pages_exact, so each page has its own refcount), grants them to the backend
 * (otherend_id) writable and returns the address in *vaddr and the refs in @grefs. All or
 * none. pvbus_teardown_ring ends the grants and frees the pages: each page goes back to the
 * allocator once the backend no longer maps it (possibly later, from pvcore's retry work);
 * *vaddr is set to NULL. Both may sleep.
 * pvbus_grant_ring grants caller-owned pages at the page-aligned direct-map address @vaddr
 * (not vmalloc); all or none. Undo it with pvcore_end_access(ref, page) per page, which takes
 * the caller's page reference (get_page first to keep the page).
 */
int pvbus_setup_ring(struct pvbus_device *dev, gfp_t gfp, void **vaddr, unsigned int nr_pages,
		     u32 *grefs);
void pvbus_teardown_ring(struct pvbus_device *dev, void **vaddr, unsigned int nr_pages,
			 u32 *grefs);
int pvbus_grant_ring(struct pvbus_device *dev, void *vaddr, unsigned int nr_pages, u32 *grefs);

/*
 * EVTCHNOP_alloc_unbound for the backend; the port in *port. Bind it with
 * pvcore_bind_existing_port(port, true, ...), which closes it on unbind.
 */
int pvbus_alloc_evtchn(struct pvbus_device *dev, u32 *port);
/* Closes a port never bound (bound ones are closed by pvcore_unbind). */
int pvbus_free_evtchn(struct pvbus_device *dev, u32 port);

/*
 * Reports an error: logs "<-err> <msg>" for the device and writes the same text to
 * error/<nodename>/error under the domain's home. pvbus_dev_fatal also switches the device
 * to Closing.
 */
__printf(3, 4) void pvbus_dev_error(struct pvbus_device *dev, int err, const char *fmt, ...);
__printf(3, 4) void pvbus_dev_fatal(struct pvbus_device *dev, int err, const char *fmt, ...);

#endif /* PVBUS_H */
