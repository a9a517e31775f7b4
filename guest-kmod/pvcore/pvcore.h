/* SPDX-License-Identifier: GPL-2.0 */
/* pvcore.h: what pvcore.ko exports to frontends (pvblk, pvnet) and the store bus. */
#ifndef PVCORE_H
#define PVCORE_H

#include <linux/interrupt.h>
#include <linux/mm_types.h>
#include <linux/types.h>
#include <pv/grant_table.h>

/* Hypercall wrappers: arguments as Xen's, result 0 or a negative Xen (= Linux) errno. */
int pvcore_event_channel_op(int cmd, void *arg);
int pvcore_sched_op(int cmd, void *arg);
int pvcore_vcpu_op(int cmd, unsigned int vcpu, void *arg);
int pvcore_memory_op(unsigned int cmd, void *arg);
int pvcore_hvm_op(int cmd, void *arg);
int pvcore_grant_table_op(unsigned int cmd, void *uop, unsigned int count);
/* HVMOP_get_param for this domain; 0 and *value on success. */
int pvcore_hvm_get_param(u32 index, u64 *value);

/*
 * Binds remote_port of remote_dom (e.g. PV_DOMID_HOST) and makes the new local port a Linux
 * IRQ named @name with @handler. Returns the irq (> 0) or a negative errno; *local_port gets
 * the port for pvcore_notify_remote().
 */
int pvcore_bind_interdomain(u16 remote_dom, u32 remote_port, irq_handler_t handler,
			    unsigned long irqflags, const char *name, void *dev_id,
			    u32 *local_port);
/*
 * Makes an already-bound local port (e.g. HVM_PARAM_STORE_EVTCHN) a Linux IRQ. The port is
 * not closed on unbind when @close_on_unbind is false.
 */
int pvcore_bind_existing_port(u32 port, bool close_on_unbind, irq_handler_t handler,
			      unsigned long irqflags, const char *name, void *dev_id);
/* Frees the irq (dev_id as given at bind) and closes its port if pvcore opened it. */
void pvcore_unbind(int irq, void *dev_id);
/* Signals the peer of a local port; exitless for host-side peers. */
void pvcore_notify_remote(u32 port);

/*
 * Grant table (v1). Refs are u32, >= PV_GNTTAB_NR_RESERVED. All calls work in any context.
 *
 * pvcore_grant_access: grants domain @domid access to guest frame @gfn; returns the ref or
 * -ENOSPC (table full) / -EINVAL (gfn beyond 32 bits).
 * pvcore_end_access: ends the grant and gives @page (may be NULL) back with put_page() once
 * the grantee no longer uses it: at once, or later from a retry work. The ref is freed then
 * too. The caller must not touch either afterwards.
 * pvcore_end_access_ref: ends the grant only if the grantee is not using it (true); the ref
 * stays the caller's (re-grant it or release it). false: nothing changed, retry later, and
 * do not reuse the page meanwhile.
 *
 * Persistent grants claim refs in batches and fill them:
 * pvcore_claim_refs: takes @count free refs into @refs, all or none (-ENOSPC).
 * pvcore_grant_access_ref: grants a claimed ref; -EBUSY if it is still granted.
 * pvcore_release_refs: returns refs to the free list; a ref still granted is ended first,
 * and one still in use is deferred (its page is not pvcore's to free: the caller keeps it
 * and must not reuse it until the ref ends, so prefer pvcore_end_access for such pages).
 *
 * pvcore_gnttab_copy: GNTTABOP_copy, split into calls of PV_GNTTAB_COPY_BATCH ops; each op's
 * status is in ops[i].status (GNTST_*). Returns 0 or the hypercall's -errno.
 */
#define PV_GNTTAB_COPY_BATCH 1024U
int pvcore_grant_access(u16 domid, unsigned long gfn, bool readonly);
void pvcore_end_access(u32 ref, struct page *page);
bool pvcore_end_access_ref(u32 ref);
int pvcore_claim_refs(unsigned int count, u32 *refs);
int pvcore_grant_access_ref(u32 ref, u16 domid, unsigned long gfn, bool readonly);
void pvcore_release_refs(const u32 *refs, unsigned int count);
int pvcore_gnttab_copy(struct gnttab_copy *ops, unsigned int count);

/*
 * Out of refs (-ENOSPC): ask to be called once @count refs are free (at once if they are).
 * @cb is the caller's, initialised with INIT_LIST_HEAD(&cb->link) once; a callback already
 * waiting is left as it is. fn runs once per request, in any context and without pvcore's
 * locks held (it may claim refs); typically it restarts a queue. Cancelling does not wait
 * for a fn already running.
 */
struct pvcore_gnttab_free_cb {
	struct list_head link; /* pvcore's; empty when not waiting */
	void (*fn)(void *arg);
	void *arg;
	unsigned int count;
};
void pvcore_gnttab_request_free_callback(struct pvcore_gnttab_free_cb *cb, void (*fn)(void *),
					 void *arg, unsigned int count);
void pvcore_gnttab_cancel_free_callback(struct pvcore_gnttab_free_cb *cb);

#endif /* PVCORE_H */
