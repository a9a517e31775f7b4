// SPDX-License-Identifier: GPL-2.0
/* pvbus_watch.c: store watches: registration, the event queue and the watch thread. */
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <pv/xs_wire.h>

#include "internal.h"
#include "pvbus.h"

/*
 * The token of a watch is its address in hex. The store echoes it back; it is only compared
 * with the registered watches (under pv_xs_watches_lock), never dereferenced as such, so a
 * forged or stale token is dropped. Callbacks run one at a time on pv_xs_watch_task, under
 * pv_xs_watch_mutex, which pvbus_unwatch_path takes to wait out a running callback.
 */
struct pv_xs_event {
	struct list_head link;
	struct pvbus_watch *watch;
	char *body; /* path\0token\0, owned */
	const char *path;
	const char *token;
};

static DEFINE_SPINLOCK(pv_xs_watches_lock);
static LIST_HEAD(pv_xs_watches);
/* A store flooding events faster than callbacks run loses the excess, counted. */
#define PV_XS_EVENTS_MAX 1024U

static DEFINE_SPINLOCK(pv_xs_events_lock);
static LIST_HEAD(pv_xs_events);
static unsigned int pv_xs_nr_events; /* queued, under pv_xs_events_lock */
static DECLARE_WAIT_QUEUE_HEAD(pv_xs_events_wq);
static DEFINE_MUTEX(pv_xs_watch_mutex);
static struct task_struct *pv_xs_watch_task;

static struct pvbus_watch *pv_xs_find_watch(const char *token)
{
	struct pvbus_watch *w;
	char buf[2 * sizeof(long) + 1];

	list_for_each_entry(w, &pv_xs_watches, list) {
		snprintf(buf, sizeof(buf), "%lx", (unsigned long)w);
		if (!strcmp(buf, token))
			return w;
	}
	return NULL;
}

/* Called by the ring reader with a watch event's body (NUL-terminated at len); takes it. */
void pv_xs_queue_event(char *body, u32 len)
{
	struct pv_xs_event *ev;
	size_t plen = strnlen(body, len);

	/* path\0token\0: both present and terminated inside the payload. */
	if (plen + 1 >= len || strnlen(body + plen + 1, len - plen - 1) == len - plen - 1) {
		pv_xs_stats.bad_events++;
		kfree(body);
		return;
	}
	ev = kmalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev) {
		pv_xs_stats.bad_events++;
		kfree(body);
		return;
	}
	ev->body = body;
	ev->path = body;
	ev->token = body + plen + 1;
	spin_lock(&pv_xs_watches_lock);
	ev->watch = pv_xs_find_watch(ev->token);
	if (ev->watch) {
		spin_lock(&pv_xs_events_lock);
		if (pv_xs_nr_events < PV_XS_EVENTS_MAX) {
			list_add_tail(&ev->link, &pv_xs_events);
			pv_xs_nr_events++;
		} else {
			ev->watch = NULL;
			pv_xs_stats.dropped_events++;
		}
		spin_unlock(&pv_xs_events_lock);
	} else {
		pv_xs_stats.stray_events++; /* unknown token, or a watch just removed */
	}
	spin_unlock(&pv_xs_watches_lock);
	if (!ev->watch) {
		kfree(ev->body);
		kfree(ev);
		return;
	}
	pv_xs_stats.events++;
	wake_up(&pv_xs_events_wq);
}

static struct pv_xs_event *pv_xs_next_event(void)
{
	struct pv_xs_event *ev = NULL;

	spin_lock(&pv_xs_events_lock);
	if (!list_empty(&pv_xs_events)) {
		ev = list_first_entry(&pv_xs_events, struct pv_xs_event, link);
		list_del(&ev->link);
		pv_xs_nr_events--;
	}
	spin_unlock(&pv_xs_events_lock);
	return ev;
}

static int pv_xs_watch_thread(void *unused)
{
	struct pv_xs_event *ev;

	while (!kthread_should_stop()) {
		wait_event_interruptible(pv_xs_events_wq,
					 kthread_should_stop() || !list_empty(&pv_xs_events));
		/* The mutex orders this against unwatch, which purges queued events first. */
		mutex_lock(&pv_xs_watch_mutex);
		ev = pv_xs_next_event();
		if (ev)
			ev->watch->callback(ev->watch, ev->path, ev->token);
		mutex_unlock(&pv_xs_watch_mutex);
		if (ev) {
			kfree(ev->body);
			kfree(ev);
		}
	}
	return 0;
}

static int pv_xs_watch_request(u32 type, struct pvbus_watch *watch)
{
	char token[2 * sizeof(long) + 1];
	struct pv_xs_reply reply;
	struct kvec iov[2];
	int err;

	snprintf(token, sizeof(token), "%lx", (unsigned long)watch);
	iov[0] = (struct kvec){ .iov_base = watch->node, .iov_len = strlen(watch->node) + 1 };
	iov[1] = (struct kvec){ .iov_base = token, .iov_len = strlen(token) + 1 };
	err = pv_xs_request(type, 0, iov, 2, &reply);
	if (!err)
		kfree(reply.body);
	return err;
}

int pvbus_watch_path(struct pvbus_watch *watch, const char *dir, const char *node,
		     void (*callback)(struct pvbus_watch *, const char *, const char *))
{
	int err;

	watch->node = pv_xs_join(dir, node);
	if (!watch->node)
		return -ENOMEM;
	watch->callback = callback;
	/* Listed before the request: the first event may arrive right after the reply. */
	spin_lock(&pv_xs_watches_lock);
	list_add(&watch->list, &pv_xs_watches);
	spin_unlock(&pv_xs_watches_lock);
	err = pv_xs_watch_request(XS_WATCH, watch);
	if (err) {
		pvbus_unwatch_path(watch);
		return err;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(pvbus_watch_path);

static void pv_xs_purge_events(struct pvbus_watch *watch)
{
	struct pv_xs_event *ev, *tmp;
	LIST_HEAD(dead);

	spin_lock(&pv_xs_events_lock);
	list_for_each_entry_safe(ev, tmp, &pv_xs_events, link)
		if (ev->watch == watch) {
			list_move(&ev->link, &dead);
			pv_xs_nr_events--;
		}
	spin_unlock(&pv_xs_events_lock);
	list_for_each_entry_safe(ev, tmp, &dead, link) {
		kfree(ev->body);
		kfree(ev);
	}
}

void pvbus_unwatch_path(struct pvbus_watch *watch)
{
	bool registered = watch->callback != NULL;
	int err;

	if (!watch->node)
		return;
	spin_lock(&pv_xs_watches_lock);
	list_del(&watch->list);
	spin_unlock(&pv_xs_watches_lock);
	if (registered) {
		err = pv_xs_watch_request(XS_UNWATCH, watch);
		if (err && err != -EIO && err != -ENOENT)
			pr_warn("pvcore: unwatch %s: %d\n", watch->node, err);
	}
	/* From the watch thread itself (a callback removing a watch) the mutex is held. */
	if (current != pv_xs_watch_task)
		mutex_lock(&pv_xs_watch_mutex);
	pv_xs_purge_events(watch);
	if (current != pv_xs_watch_task)
		mutex_unlock(&pv_xs_watch_mutex);
	kfree(watch->node);
	watch->node = NULL;
	watch->callback = NULL;
}
EXPORT_SYMBOL_GPL(pvbus_unwatch_path);

int pv_xs_watch_init(void)
{
	pv_xs_watch_task = kthread_run(pv_xs_watch_thread, NULL, "pvbus-watch");
	return PTR_ERR_OR_ZERO(pv_xs_watch_task);
}

/* Every watch is gone by now (bus and debugfs torn down); events left are dropped. */
void pv_xs_watch_exit(void)
{
	struct pv_xs_event *ev;

	kthread_stop(pv_xs_watch_task);
	while ((ev = pv_xs_next_event())) {
		kfree(ev->body);
		kfree(ev);
	}
}
