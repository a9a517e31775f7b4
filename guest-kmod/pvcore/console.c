// SPDX-License-Identifier: GPL-2.0
/* console.c: hvc backend on the PV console ring (HVM_PARAM_CONSOLE_PFN / _EVTCHN). */
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <pv/console.h>
#include <pv/hvm.h>

#include "hvc_iface.h"
#include "hypercall.h"
#include "internal.h"
#include "pvcore.h"

#define PV_HVC_VTERMNO 0x50560000 /* "PV": any cookie, hvc uses it only as a key */
#define PV_HVC_OUTBUF 256

static struct xencons_interface *pv_cons;
static u32 pv_cons_port;
static int pv_cons_irq;
static struct hvc_struct *pv_hvc;
static bool pv_cons_instantiated;

#define PV_IN_IDX(i) ((i) & (PV_CONSOLE_IN_SIZE - 1))
#define PV_OUT_IDX(i) ((i) & (PV_CONSOLE_OUT_SIZE - 1))

/* Guest is the producer of out[], pvisor the consumer; indices are free-running. */
static int pv_cons_put_chars(u32 vtermno, const char *buf, int count)
{
	u32 cons = READ_ONCE(pv_cons->out_cons);
	u32 prod = pv_cons->out_prod;
	int sent = 0;

	mb(); /* read out_cons before overwriting the slots it released */
	while (sent < count && prod - cons < PV_CONSOLE_OUT_SIZE)
		pv_cons->out[PV_OUT_IDX(prod++)] = buf[sent++];
	wmb(); /* data before the producer index */
	WRITE_ONCE(pv_cons->out_prod, prod);
	if (sent)
		pv_notify_port(pv_cons_port);
	return sent;
}

/* pvisor produces in[]; a bogus in_prod (more than the ring holds) is clamped. */
static int pv_cons_get_chars(u32 vtermno, char *buf, int count)
{
	u32 cons = pv_cons->in_cons;
	u32 prod = READ_ONCE(pv_cons->in_prod);
	int got = 0;

	rmb(); /* producer index before the data */
	if (prod - cons > PV_CONSOLE_IN_SIZE)
		cons = prod - PV_CONSOLE_IN_SIZE;
	while (got < count && cons != prod)
		buf[got++] = pv_cons->in[PV_IN_IDX(cons++)];
	mb(); /* data read before the slots are handed back */
	WRITE_ONCE(pv_cons->in_cons, cons);
	if (got)
		pv_notify_port(pv_cons_port);
	return got;
}

static const struct hv_ops pv_hvc_ops = {
	.get_chars = pv_cons_get_chars,
	.put_chars = pv_cons_put_chars,
};

static irqreturn_t pv_cons_interrupt(int irq, void *dev_id)
{
	/* hvc polls the ring as well; the event only shortens input latency. */
	hvc_kick();
	return IRQ_HANDLED;
}

int pv_console_init(void)
{
	u64 pfn, port;
	int err;

	err = pvcore_hvm_get_param(HVM_PARAM_CONSOLE_PFN, &pfn);
	if (!err)
		err = pvcore_hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &port);
	if (err || !pfn || !port) {
		pr_warn("pvcore: no PV console (%d)\n", err);
		return 0;
	}
	/* The ring is in the e820-reserved special pages, outside the direct map. */
	pv_cons = memremap(pfn << PAGE_SHIFT, PAGE_SIZE, MEMREMAP_WB);
	if (!pv_cons)
		return -ENOMEM;
	pv_cons_port = port;
	pv_cons_irq = pvcore_bind_existing_port(pv_cons_port, false, pv_cons_interrupt, 0,
						"pv-console", &pv_cons_port);
	if (pv_cons_irq < 0) {
		err = pv_cons_irq;
		goto out_unmap;
	}
	/* A console for printk (console=hvc0) before the tty exists, as hvc_xen does. */
	pv_cons_instantiated = hvc_instantiate(PV_HVC_VTERMNO, 0, &pv_hvc_ops) == 0;
	pv_hvc = hvc_alloc(PV_HVC_VTERMNO, 0, &pv_hvc_ops, PV_HVC_OUTBUF);
	if (IS_ERR(pv_hvc)) {
		err = PTR_ERR(pv_hvc);
		pv_hvc = NULL;
		goto out_unbind;
	}
	pr_info("pvcore: PV console on pfn %#llx port %u\n", pfn, pv_cons_port);
	return 0;

out_unbind:
	pvcore_unbind(pv_cons_irq, &pv_cons_port);
out_unmap:
	memunmap(pv_cons);
	pv_cons = NULL;
	return err;
}

void pv_console_exit(void)
{
	if (!pv_cons)
		return;
	if (pv_hvc)
		hvc_remove(pv_hvc);
	pv_hvc = NULL;
	pvcore_unbind(pv_cons_irq, &pv_cons_port);
	memunmap(pv_cons);
	pv_cons = NULL;
}
