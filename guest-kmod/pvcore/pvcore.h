/* SPDX-License-Identifier: GPL-2.0 */
/* pvcore.h: what pvcore.ko exports to frontends (pvblk, pvnet) and the store bus. */
#ifndef PVCORE_H
#define PVCORE_H

#include <linux/interrupt.h>
#include <linux/types.h>

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

#endif /* PVCORE_H */
