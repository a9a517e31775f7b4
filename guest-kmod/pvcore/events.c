// SPDX-License-Identifier: GPL-2.0
/* events.c: 2-level event channels as Linux IRQs (irq_chip "pvisor-evtchn") and the upcall loop. */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/debugfs.h>
#include <linux/irq.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <pv/event_channel.h>
#include <pv/xen.h>

#include "hypercall.h"
#include "internal.h"
#include "pvcore.h"

#define PV_WORDS (PV_EVTCHN_2L_NR_PORTS / PV_EVTCHN_WORD_BITS)

/* One bound port. Owned by pv_ports[port] from bind until unbind (freed after an RCU grace). */
struct pv_port_info {
	u32 port;
	int irq;
	unsigned int cpu;     /* vCPU the port notifies */
	bool percpu;          /* VIRQ/IPI: bound to its vCPU for life */
	bool close_on_unbind; /* pvcore opened the port, so pvcore closes it */
	atomic64_t count;
	struct rcu_head rcu;
};

/*
 * pv_ports is read locklessly by the upcall loop (hardirq, so an RCU reader) and written
 * under pv_bind_lock. pv_cpu_ports[v] has the bits of the ports that notify vCPU v: the
 * pending bitmap is shared by all vCPUs, and each vCPU handles only its own ports.
 */
static struct pv_port_info __rcu *pv_ports[PV_EVTCHN_2L_NR_PORTS];
static unsigned long pv_cpu_ports[XEN_LEGACY_MAX_VCPUS][PV_WORDS];
static DEFINE_MUTEX(pv_bind_lock);

static atomic64_t pv_upcalls[XEN_LEGACY_MAX_VCPUS];
static atomic64_t pv_spurious_upcalls[XEN_LEGACY_MAX_VCPUS];
static atomic64_t pv_unbound_events;

static unsigned long *pv_pending_words(void)
{
	return (unsigned long *)pv_shinfo->evtchn_pending;
}

static unsigned long *pv_mask_words(void)
{
	return (unsigned long *)pv_shinfo->evtchn_mask;
}

static void pv_port_mask(u32 port)
{
	set_bit(port, pv_mask_words());
}

static void pv_port_unmask(u32 port)
{
	struct evtchn_unmask unmask = { .port = port };

	clear_bit(port, pv_mask_words());
	/* An event that arrived while masked raised no upcall: Xen's unmask re-raises it. */
	if (test_bit(port, pv_pending_words()))
		pvcore_event_channel_op(EVTCHNOP_unmask, &unmask);
}

static void pv_chip_mask(struct irq_data *d)
{
	struct pv_port_info *info = irq_data_get_irq_chip_data(d);

	pv_port_mask(info->port);
}

static void pv_chip_unmask(struct irq_data *d)
{
	struct pv_port_info *info = irq_data_get_irq_chip_data(d);

	pv_port_unmask(info->port);
}

/* The upcall loop clears a port's pending bit before handling it: nothing left to ack. */
static void pv_chip_ack(struct irq_data *d)
{
}

static void pv_move_port(struct pv_port_info *info, unsigned int cpu)
{
	set_bit(info->port, pv_cpu_ports[cpu]);
	if (cpu != info->cpu)
		clear_bit(info->port, pv_cpu_ports[info->cpu]);
	info->cpu = cpu;
}

static int pv_chip_set_affinity(struct irq_data *d, const struct cpumask *dest, bool force)
{
	struct pv_port_info *info = irq_data_get_irq_chip_data(d);
	struct evtchn_bind_vcpu bind = { .port = info->port };
	unsigned int cpu;
	int err;

	if (info->percpu) {
		if (!cpumask_test_cpu(info->cpu, dest))
			return -EINVAL;
		irq_data_update_effective_affinity(d, cpumask_of(info->cpu));
		return IRQ_SET_MASK_OK_DONE;
	}
	cpu = cpumask_first_and(dest, cpu_online_mask);
	if (cpu >= pv_nr_vcpus)
		return -EINVAL;
	bind.vcpu = cpu;
	err = pvcore_event_channel_op(EVTCHNOP_bind_vcpu, &bind);
	if (err)
		return err;
	pv_move_port(info, cpu);
	irq_data_update_effective_affinity(d, cpumask_of(cpu));
	return IRQ_SET_MASK_OK_DONE;
}

static struct irq_chip pv_evtchn_chip = {
	.name = "pvisor-evtchn",
	.irq_mask = pv_chip_mask,
	.irq_unmask = pv_chip_unmask,
	.irq_ack = pv_chip_ack,
	.irq_set_affinity = pv_chip_set_affinity,
};

static void pv_handle_port(u32 port)
{
	struct pv_port_info *info = rcu_dereference(pv_ports[port]);

	if (!info) {
		atomic64_inc(&pv_unbound_events);
		return;
	}
	atomic64_inc(&info->count);
	generic_handle_irq(info->irq);
}

/* Handles the ports of one selector word; returns how many were handled. */
static unsigned int pv_scan_word(unsigned int vcpu, unsigned int word)
{
	unsigned long *pending = pv_pending_words();
	unsigned long ready;
	unsigned int handled = 0;

	ready = READ_ONCE(pending[word]) & ~READ_ONCE(pv_mask_words()[word]) &
		READ_ONCE(pv_cpu_ports[vcpu][word]);
	while (ready) {
		unsigned int bit = __ffs(ready);
		u32 port = word * PV_EVTCHN_WORD_BITS + bit;

		ready &= ready - 1;
		/* Clear before handling, so an event raised during the handler is not lost. */
		if (!test_and_clear_bit(port, pending))
			continue;
		pv_handle_port(port);
		handled++;
	}
	return handled;
}

/*
 * The upcall, exactly as pv/shared_info.h orders it: clear evtchn_upcall_pending first,
 * xchg the selector to 0, scan pending & ~mask (restricted to this vCPU's ports), and loop
 * while pvisor raised evtchn_upcall_pending again (the upcall interrupt is an edge).
 */
void pv_evtchn_do_upcall(unsigned int vcpu)
{
	struct vcpu_info *vi = pv_vcpu_info(vcpu);
	unsigned int handled = 0;

	atomic64_inc(&pv_upcalls[vcpu]);
	rcu_read_lock();
	do {
		unsigned long sel;

		WRITE_ONCE(vi->evtchn_upcall_pending, 0);
		sel = xchg(&vi->evtchn_pending_sel, 0);
		while (sel) {
			unsigned int word = __ffs(sel);

			sel &= sel - 1;
			handled += pv_scan_word(vcpu, word);
		}
	} while (READ_ONCE(vi->evtchn_upcall_pending));
	rcu_read_unlock();
	if (!handled)
		atomic64_inc(&pv_spurious_upcalls[vcpu]);
}

static int pv_alloc_port_irq(u32 port, unsigned int cpu, bool percpu, bool close_on_unbind)
{
	struct pv_port_info *info;
	int irq;

	if (port == 0 || port >= PV_EVTCHN_2L_NR_PORTS || cpu >= pv_nr_vcpus)
		return -EINVAL;
	if (rcu_access_pointer(pv_ports[port]))
		return -EBUSY;
	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	/*
	 * No owner: request_irq() pins a descriptor's owner, and pvcore's own timer and IPI
	 * irqs would then keep pvcore from ever unloading. Frontends that bind through pvcore
	 * already hold pvcore through their symbol dependency.
	 */
	irq = __irq_alloc_descs(-1, 0, 1, numa_node_id(), NULL, NULL);
	if (irq < 0) {
		kfree(info);
		return irq;
	}
	info->port = port;
	info->irq = irq;
	info->cpu = cpu;
	info->percpu = percpu;
	info->close_on_unbind = close_on_unbind;
	irq_set_chip_and_handler_name(irq, &pv_evtchn_chip, handle_edge_irq, "event");
	irq_set_chip_data(irq, info);
	/* MOVE_PCNTXT: affinity goes straight to bind_vcpu, not deferred to an ack. */
	irq_modify_status(irq, IRQ_NOREQUEST | IRQ_NOAUTOEN,
			  IRQ_NOPROBE | IRQ_MOVE_PCNTXT | (percpu ? IRQ_NO_BALANCING : 0));
	/*
	 * A pending bit stays: bind_interdomain leaves the new port pending on purpose, and
	 * the unmask in request_irq() re-raises it so the first handler run sees it.
	 */
	pv_port_mask(port);
	set_bit(port, pv_cpu_ports[cpu]);
	rcu_assign_pointer(pv_ports[port], info);
	return irq;
}

static void pv_close_port(u32 port)
{
	struct evtchn_close close = { .port = port };

	pvcore_event_channel_op(EVTCHNOP_close, &close);
}

/* Undoes pv_alloc_port_irq once no handler is installed. Caller holds pv_bind_lock. */
static void pv_free_port_irq(struct pv_port_info *info)
{
	pv_port_mask(info->port);
	clear_bit(info->port, pv_cpu_ports[info->cpu]);
	RCU_INIT_POINTER(pv_ports[info->port], NULL);
	/* Upcall loops still looking at info finish before the descriptor goes away. */
	synchronize_rcu();
	if (info->close_on_unbind)
		pv_close_port(info->port);
	irq_free_desc(info->irq);
	kfree(info);
}

static int pv_request_port(u32 port, unsigned int cpu, bool percpu, bool close_on_unbind,
			   irq_handler_t handler, unsigned long irqflags, const char *name,
			   void *dev_id)
{
	struct pv_port_info *info;
	int irq, err;

	mutex_lock(&pv_bind_lock);
	irq = pv_alloc_port_irq(port, cpu, percpu, close_on_unbind);
	if (irq < 0) {
		mutex_unlock(&pv_bind_lock);
		if (close_on_unbind)
			pv_close_port(port);
		return irq;
	}
	info = rcu_dereference_protected(pv_ports[port], lockdep_is_held(&pv_bind_lock));
	irq_data_update_effective_affinity(irq_get_irq_data(irq), cpumask_of(cpu));
	irq_set_affinity(irq, cpumask_of(cpu));
	if (percpu)
		irqflags |= IRQF_NOBALANCING;
	err = request_irq(irq, handler, irqflags, name, dev_id);
	if (err) {
		pv_free_port_irq(info);
		mutex_unlock(&pv_bind_lock);
		return err;
	}
	mutex_unlock(&pv_bind_lock);
	return irq;
}

int pv_bind_virq_to_irq(u32 virq, unsigned int cpu, irq_handler_t handler,
			unsigned long irqflags, const char *name, void *dev_id)
{
	struct evtchn_bind_virq bind = { .virq = virq, .vcpu = cpu };
	int err;

	err = pvcore_event_channel_op(EVTCHNOP_bind_virq, &bind);
	if (err)
		return err;
	return pv_request_port(bind.port, cpu, true, true, handler, irqflags, name, dev_id);
}

int pv_bind_ipi_to_irq(unsigned int cpu, irq_handler_t handler, unsigned long irqflags,
		       const char *name, void *dev_id, u32 *port)
{
	struct evtchn_bind_ipi bind = { .vcpu = cpu };
	int err;

	err = pvcore_event_channel_op(EVTCHNOP_bind_ipi, &bind);
	if (err)
		return err;
	*port = bind.port;
	return pv_request_port(bind.port, cpu, true, true, handler, irqflags, name, dev_id);
}

int pvcore_bind_interdomain(u16 remote_dom, u32 remote_port, irq_handler_t handler,
			    unsigned long irqflags, const char *name, void *dev_id,
			    u32 *local_port)
{
	struct evtchn_bind_interdomain bind = {
		.remote_dom = remote_dom,
		.remote_port = remote_port,
	};
	int err;

	err = pvcore_event_channel_op(EVTCHNOP_bind_interdomain, &bind);
	if (err)
		return err;
	*local_port = bind.local_port;
	return pv_request_port(bind.local_port, 0, false, true, handler, irqflags, name, dev_id);
}
EXPORT_SYMBOL_GPL(pvcore_bind_interdomain);

int pvcore_bind_existing_port(u32 port, bool close_on_unbind, irq_handler_t handler,
			      unsigned long irqflags, const char *name, void *dev_id)
{
	return pv_request_port(port, 0, false, close_on_unbind, handler, irqflags, name, dev_id);
}
EXPORT_SYMBOL_GPL(pvcore_bind_existing_port);

void pvcore_unbind(int irq, void *dev_id)
{
	struct pv_port_info *info = irq_get_chip_data(irq);

	if (WARN_ON(!info || irq_get_chip(irq) != &pv_evtchn_chip))
		return;
	free_irq(irq, dev_id);
	mutex_lock(&pv_bind_lock);
	pv_free_port_irq(info);
	mutex_unlock(&pv_bind_lock);
}
EXPORT_SYMBOL_GPL(pvcore_unbind);

void pvcore_notify_remote(u32 port)
{
	pv_notify_port(port);
}
EXPORT_SYMBOL_GPL(pvcore_notify_remote);

static int pv_stats_show(struct seq_file *m, void *v)
{
	unsigned int cpu, port;

	seq_puts(m, "vcpu upcalls spurious\n");
	for (cpu = 0; cpu < pv_nr_vcpus; cpu++)
		seq_printf(m, "%u %lld %lld\n", cpu, atomic64_read(&pv_upcalls[cpu]),
			   atomic64_read(&pv_spurious_upcalls[cpu]));
	seq_printf(m, "events on unbound ports: %lld\n", atomic64_read(&pv_unbound_events));
	seq_puts(m, "port vcpu irq events name\n");
	mutex_lock(&pv_bind_lock);
	for (port = 1; port < PV_EVTCHN_2L_NR_PORTS; port++) {
		struct pv_port_info *info;
		struct irq_desc *desc;
		const char *name = "-";

		info = rcu_dereference_protected(pv_ports[port], lockdep_is_held(&pv_bind_lock));
		if (!info)
			continue;
		desc = irq_data_to_desc(irq_get_irq_data(info->irq));
		if (desc && desc->action && desc->action->name)
			name = desc->action->name;
		seq_printf(m, "%u %u %d %lld %s\n", port, info->cpu, info->irq,
			   atomic64_read(&info->count), name);
	}
	mutex_unlock(&pv_bind_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pv_stats);

int pv_events_init(void)
{
	/* Everything starts masked: a port is unmasked when its irq is requested. */
	memset(pv_shinfo->evtchn_mask, 0xff, sizeof(pv_shinfo->evtchn_mask));
	debugfs_create_file("stats", 0444, pv_debugfs_dir, NULL, &pv_stats_fops);
	return 0;
}

void pv_events_exit(void)
{
	unsigned int port;

	/* Every user unbinds before this runs; anything left is a bug in pvcore itself. */
	for (port = 1; port < PV_EVTCHN_2L_NR_PORTS; port++)
		WARN_ON(rcu_access_pointer(pv_ports[port]));
	memset(pv_shinfo->evtchn_mask, 0xff, sizeof(pv_shinfo->evtchn_mask));
}
