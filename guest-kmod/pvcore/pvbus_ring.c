// SPDX-License-Identifier: GPL-2.0
/* pvbus_ring.c: the store ring client: requests out, replies matched by req_id, events queued. */
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <pv/hvm.h>
#include <pv/xs_wire.h>

#include "hypercall.h"
#include "internal.h"
#include "pvcore.h"

/*
 * Threads and locks. Callers send under pv_xs_send_lock (a whole message at a time, so
 * messages never interleave on the ring) and sleep on their own request until the reader
 * thread, the only consumer of the response ring, hands them the reply. Watch events go to
 * pv_xs_event_list for the watch thread (pvbus_watch.c). The store is not trusted: a bad
 * index or length breaks the connection (pv_xs_broken), failing every request with -EIO.
 */
struct pv_xs_request {
	struct list_head link; /* in pv_xs_pending until done, or until freed if abandoned */
	u32 req_id;
	bool done;
	bool abandoned; /* the caller was killed; the reader frees the request */
	struct pv_xs_reply reply;
};

static struct xenstore_domain_interface *pv_xs_intf;
static u32 pv_xs_port;
static int pv_xs_irq;
static struct task_struct *pv_xs_reader;
static DECLARE_WAIT_QUEUE_HEAD(pv_xs_ring_wq);	/* ring progress or broken */
static DECLARE_WAIT_QUEUE_HEAD(pv_xs_reply_wq); /* some request completed */
static DEFINE_MUTEX(pv_xs_send_lock);
static DEFINE_SPINLOCK(pv_xs_pending_lock);
static LIST_HEAD(pv_xs_pending);
static u32 pv_xs_next_req_id = 1;
static bool pv_xs_broken;
struct pv_xs_stats pv_xs_stats;

static void pv_xs_break(const char *why, u32 a, u32 b)
{
	if (!READ_ONCE(pv_xs_broken))
		pr_err("pvcore: store connection broken: %s (%u, %u)\n", why, a, b);
	WRITE_ONCE(pv_xs_broken, true);
	pv_xs_stats.broken++;
	wake_up_all(&pv_xs_ring_wq);
	wake_up_all(&pv_xs_reply_wq);
}

bool pv_xs_connected(void)
{
	return pv_xs_intf && !READ_ONCE(pv_xs_broken);
}

/* The server reports its side of a broken ring in ->error (XENSTORE_SERVER_FEATURE_ERROR). */
static bool pv_xs_server_failed(void)
{
	u32 error = READ_ONCE(pv_xs_intf->error);

	if (error == XENSTORE_ERROR_NONE ||
	    !(READ_ONCE(pv_xs_intf->server_features) & XENSTORE_SERVER_FEATURE_ERROR))
		return false;
	pv_xs_break("server reports error", error, 0);
	return true;
}

static irqreturn_t pv_xs_interrupt(int irq, void *dev_id)
{
	wake_up_all(&pv_xs_ring_wq);
	return IRQ_HANDLED;
}

/* Free request bytes, or -1 (after breaking the connection) on a bogus req_cons. */
static int pv_xs_req_space(void)
{
	u32 cons = READ_ONCE(pv_xs_intf->req_cons);
	u32 prod = pv_xs_intf->req_prod;

	if (prod - cons > XENSTORE_RING_SIZE) {
		pv_xs_break("request indices", prod, cons);
		return -1;
	}
	return XENSTORE_RING_SIZE - (prod - cons);
}

/* Adds the bytes it put on the ring to *sent, also when it fails part way. */
static int pv_xs_write_bytes(const void *data, size_t len, size_t *sent)
{
	const u8 *p = data;
	int space;

	while (len) {
		u32 prod, n, off;

		if (wait_event_killable(pv_xs_ring_wq, READ_ONCE(pv_xs_broken) ||
							       pv_xs_req_space() != 0))
			return -EINTR;
		space = pv_xs_req_space();
		if (space < 0 || READ_ONCE(pv_xs_broken))
			return -EIO;
		mb(); /* req_cons read before the slots it released are overwritten */
		prod = pv_xs_intf->req_prod;
		off = MASK_XENSTORE_IDX(prod);
		n = min3((u32)len, (u32)space, XENSTORE_RING_SIZE - off);
		memcpy(pv_xs_intf->req + off, p, n);
		wmb(); /* bytes before the producer index */
		WRITE_ONCE(pv_xs_intf->req_prod, prod + n);
		pv_notify_port(pv_xs_port);
		p += n;
		len -= n;
		*sent += n;
	}
	return 0;
}

/*
 * Sends header + iov under the send lock. A message cut short (its sender killed while
 * waiting for ring space) breaks the stream for good: the server cannot resynchronise.
 */
static int pv_xs_send(struct xsd_sockmsg *msg, const struct kvec *iov, unsigned int niov)
{
	size_t sent = 0;
	unsigned int i;
	int err;

	if (mutex_lock_killable(&pv_xs_send_lock))
		return -EINTR;
	err = pv_xs_write_bytes(msg, sizeof(*msg), &sent);
	for (i = 0; !err && i < niov; i++)
		err = pv_xs_write_bytes(iov[i].iov_base, iov[i].iov_len, &sent);
	mutex_unlock(&pv_xs_send_lock);
	if (err == -EINTR && sent)
		pv_xs_break("sender killed mid-message", msg->type, msg->len);
	return err == -EINTR && !sent ? -EINTR : err;
}

/* Maps the store's error name ("ENOENT") to -errno; unknown names are -EINVAL. */
static int pv_xs_errno(const char *name, u32 len)
{
	static const struct {
		const char *name;
		int err;
	} table[] = {
#define PV_XS_ERRNO_ENTRY(e) { #e, e },
		PV_XS_ERRORS(PV_XS_ERRNO_ENTRY)
#undef PV_XS_ERRNO_ENTRY
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(table); i++)
		if (strnlen(name, len) == strlen(table[i].name) &&
		    !strncmp(name, table[i].name, len))
			return -table[i].err;
	return -EINVAL;
}

static bool pv_xs_request_finished(struct pv_xs_request *req)
{
	bool done;

	spin_lock(&pv_xs_pending_lock);
	done = req->done;
	spin_unlock(&pv_xs_pending_lock);
	return done || READ_ONCE(pv_xs_broken);
}

/* Takes the request off the pending list; true when its reply had arrived already. */
static bool pv_xs_request_detach(struct pv_xs_request *req, bool abandon)
{
	bool done;

	spin_lock(&pv_xs_pending_lock);
	done = req->done;
	if (!done && abandon)
		req->abandoned = true; /* stays listed: the reader (or teardown) frees it */
	else if (!done)
		list_del(&req->link);
	spin_unlock(&pv_xs_pending_lock);
	return done;
}

int pv_xs_request(u32 type, u32 tx_id, const struct kvec *iov, unsigned int niov,
		  struct pv_xs_reply *reply)
{
	struct xsd_sockmsg msg = { .type = type, .tx_id = tx_id };
	struct pv_xs_request *req;
	size_t total = 0;
	unsigned int i;
	int err;

	for (i = 0; i < niov; i++)
		total += iov[i].iov_len;
	if (total > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	msg.len = total;
	if (!pv_xs_connected())
		return -EIO;
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	spin_lock(&pv_xs_pending_lock);
	req->req_id = pv_xs_next_req_id++;
	list_add_tail(&req->link, &pv_xs_pending);
	spin_unlock(&pv_xs_pending_lock);
	msg.req_id = req->req_id;

	err = pv_xs_send(&msg, iov, niov);
	if (!err && wait_event_killable(pv_xs_reply_wq, pv_xs_request_finished(req))) {
		if (!pv_xs_request_detach(req, true))
			return -EINTR; /* the reader frees req when (if) the reply comes */
	} else if (!pv_xs_request_detach(req, false) && !err) {
		err = -EIO; /* woken by a broken connection */
	}
	/* Here req is off the list and ours; its reply (if any) is ours to free or pass on. */
	if (!err) {
		*reply = req->reply;
		err = reply->type == XS_ERROR ? pv_xs_errno(reply->body, reply->len) : 0;
		if (!err && reply->type != type)
			err = -EIO; /* a reply to something else: a confused server */
		if (err)
			kfree(reply->body);
	} else {
		kfree(req->reply.body);
	}
	kfree(req);
	return err;
}

/* Reader thread: consume exactly @len bytes from the response ring, sleeping as needed. */
static int pv_xs_read_bytes(void *data, u32 len)
{
	u8 *p = data;

	while (len) {
		u32 cons, prod, avail, off, n;

		wait_event_interruptible(pv_xs_ring_wq,
					 kthread_should_stop() || READ_ONCE(pv_xs_broken) ||
						 pv_xs_server_failed() ||
						 READ_ONCE(pv_xs_intf->rsp_prod) !=
							 pv_xs_intf->rsp_cons);
		if (kthread_should_stop() || READ_ONCE(pv_xs_broken))
			return -EIO;
		cons = pv_xs_intf->rsp_cons;
		prod = READ_ONCE(pv_xs_intf->rsp_prod);
		avail = prod - cons;
		if (avail > XENSTORE_RING_SIZE) {
			pv_xs_break("response indices", prod, cons);
			return -EIO;
		}
		rmb(); /* producer index before the bytes */
		off = MASK_XENSTORE_IDX(cons);
		n = min3(len, avail, XENSTORE_RING_SIZE - off);
		memcpy(p, pv_xs_intf->rsp + off, n);
		mb(); /* bytes copied out before the slots are handed back */
		WRITE_ONCE(pv_xs_intf->rsp_cons, cons + n);
		pv_notify_port(pv_xs_port);
		p += n;
		len -= n;
	}
	return 0;
}

/* Hands a reply to its waiter; a reply nobody waits for is counted and dropped. */
static void pv_xs_complete(const struct xsd_sockmsg *hdr, char *body)
{
	struct pv_xs_request *req, *found = NULL;

	spin_lock(&pv_xs_pending_lock);
	list_for_each_entry(req, &pv_xs_pending, link) {
		if (req->req_id == hdr->req_id && !req->done) {
			found = req;
			break;
		}
	}
	if (found) {
		found->reply = (struct pv_xs_reply){ .type = hdr->type, .len = hdr->len,
						     .body = body };
		found->done = true;
		list_del(&found->link);
		if (!found->abandoned)
			found = NULL; /* the waiter owns it now */
		body = NULL;
	}
	spin_unlock(&pv_xs_pending_lock);
	if (found) {
		kfree(found->reply.body);
		kfree(found);
	} else if (body) {
		pv_xs_stats.stray_replies++;
		kfree(body);
		return;
	}
	wake_up_all(&pv_xs_reply_wq);
}

static int pv_xs_read_message(void)
{
	struct xsd_sockmsg hdr;
	char *body;
	int err;

	err = pv_xs_read_bytes(&hdr, sizeof(hdr));
	if (err)
		return err;
	if (hdr.len > XENSTORE_PAYLOAD_MAX) {
		pv_xs_break("oversized message", hdr.type, hdr.len);
		return -EIO;
	}
	/* One spare NUL so that every body is a C string for its parsers. */
	body = kmalloc(hdr.len + 1, GFP_KERNEL);
	if (!body) {
		pv_xs_break("out of memory for a message", hdr.type, hdr.len);
		return -ENOMEM;
	}
	err = pv_xs_read_bytes(body, hdr.len);
	if (err) {
		kfree(body);
		return err;
	}
	body[hdr.len] = '\0';
	pv_xs_stats.replies++;
	if (hdr.type == XS_WATCH_EVENT)
		pv_xs_queue_event(body, hdr.len); /* takes body */
	else
		pv_xs_complete(&hdr, body);
	return 0;
}

static int pv_xs_reader_fn(void *unused)
{
	while (!kthread_should_stop()) {
		if (pv_xs_read_message())
			wait_event_interruptible(pv_xs_ring_wq, kthread_should_stop());
	}
	return 0;
}

/* Fails every request still waiting (teardown); abandoned ones are freed here. */
static void pv_xs_fail_pending(void)
{
	struct pv_xs_request *req, *tmp;

	WRITE_ONCE(pv_xs_broken, true);
	spin_lock(&pv_xs_pending_lock);
	list_for_each_entry_safe(req, tmp, &pv_xs_pending, link) {
		if (req->abandoned) {
			list_del(&req->link);
			kfree(req->reply.body);
			kfree(req);
		}
	}
	spin_unlock(&pv_xs_pending_lock);
	wake_up_all(&pv_xs_reply_wq);
	wake_up_all(&pv_xs_ring_wq);
}

static int pv_xs_map_ring(void)
{
	u64 pfn, port;
	int err;

	err = pvcore_hvm_get_param(HVM_PARAM_STORE_PFN, &pfn);
	if (!err)
		err = pvcore_hvm_get_param(HVM_PARAM_STORE_EVTCHN, &port);
	if (err || !pfn || !port || port > U32_MAX) {
		pr_warn("pvcore: no config store (%d)\n", err);
		return -ENODEV;
	}
	/* The ring is one of the e820-reserved special pages, outside the direct map. */
	pv_xs_intf = memremap(pfn << PAGE_SHIFT, PAGE_SIZE, MEMREMAP_WB);
	if (!pv_xs_intf)
		return -ENOMEM;
	pv_xs_port = port;
	if (READ_ONCE(pv_xs_intf->error) != XENSTORE_ERROR_NONE)
		pr_warn("pvcore: store ring reports error %u\n", pv_xs_intf->error);
	return 0;
}

#define PV_XS_RECONNECT_WAIT (5 * HZ)

/*
 * Starts from a clean connection: a previous pvcore instance may have left watches,
 * transactions or half a message behind. Needs the irq (the server notifies when done).
 */
static int pv_xs_reconnect(void)
{
	if (!(READ_ONCE(pv_xs_intf->server_features) & XENSTORE_SERVER_FEATURE_RECONNECTION)) {
		pr_warn("pvcore: store cannot reconnect; using the ring as found\n");
		return 0;
	}
	WRITE_ONCE(pv_xs_intf->connection, XENSTORE_RECONNECT);
	mb(); /* the request is visible before the notification */
	pv_notify_port(pv_xs_port);
	if (!wait_event_timeout(pv_xs_ring_wq,
				READ_ONCE(pv_xs_intf->connection) == XENSTORE_CONNECTED,
				PV_XS_RECONNECT_WAIT)) {
		pr_err("pvcore: store did not answer the reconnect request\n");
		return -ETIMEDOUT;
	}
	rmb(); /* connection read before the indices the server zeroed */
	if (pv_xs_intf->req_prod || pv_xs_intf->rsp_prod) {
		pr_err("pvcore: store reconnected with indices %u/%u\n", pv_xs_intf->req_prod,
		       pv_xs_intf->rsp_prod);
		return -EIO;
	}
	return 0;
}

int pv_xs_ring_init(void)
{
	int err = pv_xs_map_ring();

	if (err)
		return err;
	pv_xs_broken = false;
	pv_xs_irq = pvcore_bind_existing_port(pv_xs_port, false, pv_xs_interrupt, 0, "pv-store",
					      &pv_xs_port);
	if (pv_xs_irq < 0) {
		err = pv_xs_irq;
		goto out_unmap;
	}
	err = pv_xs_reconnect();
	if (err)
		goto out_unbind;
	pv_xs_reader = kthread_run(pv_xs_reader_fn, NULL, "pvbus-store");
	if (IS_ERR(pv_xs_reader)) {
		err = PTR_ERR(pv_xs_reader);
		goto out_unbind;
	}
	pr_info("pvcore: config store on port %u\n", pv_xs_port);
	return 0;

out_unbind:
	pvcore_unbind(pv_xs_irq, &pv_xs_port);
out_unmap:
	memunmap(pv_xs_intf);
	pv_xs_intf = NULL;
	return err;
}

/* Callers must be gone (the bus and debugfs are torn down first). */
void pv_xs_ring_exit(void)
{
	if (!pv_xs_intf)
		return;
	kthread_stop(pv_xs_reader);
	pv_xs_fail_pending();
	pvcore_unbind(pv_xs_irq, &pv_xs_port);
	memunmap(pv_xs_intf);
	pv_xs_intf = NULL;
}
