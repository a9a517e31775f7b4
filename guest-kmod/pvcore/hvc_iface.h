/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvc_iface.h: the hvc_console interface of Linux 6.1 (drivers/tty/hvc/hvc_console.h), which
 * the kbuild header package does not ship. It must match the guest kernel's layout exactly:
 * the 6.1 hv_ops has flush and takes int counts (later kernels use size_t). Member order and
 * offsets were checked against the BTF of Debian's 6.1.0-56 vmlinux (72 bytes, dtr_rts at 64).
 */
#ifndef PVCORE_HVC_IFACE_H
#define PVCORE_HVC_IFACE_H

#include <linux/types.h>

struct hvc_struct;

struct hv_ops {
	int (*get_chars)(u32 vtermno, char *buf, int count);
	int (*put_chars)(u32 vtermno, const char *buf, int count);
	int (*flush)(u32 vtermno, bool wait);
	int (*notifier_add)(struct hvc_struct *hp, int irq);
	void (*notifier_del)(struct hvc_struct *hp, int irq);
	void (*notifier_hangup)(struct hvc_struct *hp, int irq);
	int (*tiocmget)(struct hvc_struct *hp);
	int (*tiocmset)(struct hvc_struct *hp, unsigned int set, unsigned int clear);
	void (*dtr_rts)(struct hvc_struct *hp, int raise);
};

int hvc_instantiate(u32 vtermno, int index, const struct hv_ops *ops);
struct hvc_struct *hvc_alloc(u32 vtermno, int data, const struct hv_ops *ops, int outbuf_size);
int hvc_remove(struct hvc_struct *hp);
void hvc_kick(void);

#endif /* PVCORE_HVC_IFACE_H */
