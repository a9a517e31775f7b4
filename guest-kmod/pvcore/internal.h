/* SPDX-License-Identifier: GPL-2.0 */
/* internal.h: state and functions shared between pvcore's own files. */
#ifndef PVCORE_INTERNAL_H
#define PVCORE_INTERNAL_H

#include <linux/dcache.h>
#include <linux/interrupt.h>
#include <linux/types.h>
#include <pv/shared_info.h>

/* The shared_info page; valid from pv_shared_info_init() until module unload. */
extern struct shared_info *pv_shinfo;
/* Number of vCPUs pvcore serves: min(CPUID vCPU count, nr_cpu_ids, 32 legacy vcpu_info). */
extern unsigned int pv_nr_vcpus;
extern struct dentry *pv_debugfs_dir;

static inline struct vcpu_info *pv_vcpu_info(unsigned int cpu)
{
	return &pv_shinfo->vcpu_info[cpu];
}

/* events.c */
int pv_events_init(void);
void pv_events_exit(void);
void pv_evtchn_do_upcall(unsigned int vcpu);
int pv_bind_virq_to_irq(u32 virq, unsigned int cpu, irq_handler_t handler,
			unsigned long irqflags, const char *name, void *dev_id);
int pv_bind_ipi_to_irq(unsigned int cpu, irq_handler_t handler, unsigned long irqflags,
		       const char *name, void *dev_id, u32 *port);

/* platform.c: per-vCPU upcall vectors through the platform PCI device. */
int pv_platform_init(void);
void pv_platform_exit(void);

/* time.c */
u64 pv_clock_read(unsigned int cpu);
int pv_time_init(void);
void pv_time_exit(void);

/* console.c */
int pv_console_init(void);
void pv_console_exit(void);

/* shutdown.c */
int pv_shutdown_init(void);
void pv_shutdown_exit(void);

/* control.c: the toolstack's shutdown requests; a no-op without the config store. */
void pv_control_init(void);
void pv_control_exit(void);

/*
 * balloon.c: the balloon (debugfs "balloon"; the memory/target watch needs the store).
 * Exit takes every ballooned page back.
 */
void pv_balloon_init(void);
void pv_balloon_exit(void);

/* selftest.c: IPI ping-pong between vCPU 0 and vCPU 1. */
int pv_selftest_init(void);
void pv_selftest_exit(void);

/* gnttab.c: the grant table; gnttab_selftest.c: its debugfs file "grant". */
struct pv_gnttab_stats {
	unsigned int frames, refs, free, deferred;
	u64 granted, ended, deferrals, leaked;
};
int pv_gnttab_init(void);
void pv_gnttab_exit(void);
void pv_gnttab_stats(struct pv_gnttab_stats *st);
void pv_gnttab_selftest_init(void);
void pv_gnttab_selftest_exit(void);

/* pvbus_*.c: the config store client and the device bus (API for frontends: pvbus.h). */
struct kvec;
struct pv_xs_reply {
	u32 type; /* XS_* of the reply (XS_ERROR already mapped to an errno) */
	u32 len;  /* payload bytes; body has one more, a NUL */
	char *body; /* kmalloc'ed; the caller frees it */
};
struct pv_xs_stats {
	u64 replies, events, stray_replies, stray_events, bad_events, dropped_events, broken;
};
struct pv_bus_stats {
	u64 devices_added, devices_removed;
};
extern struct pv_xs_stats pv_xs_stats;
extern struct pv_bus_stats pv_bus_stats;
int pv_xs_ring_init(void);
void pv_xs_ring_exit(void);
bool pv_xs_connected(void);
/* One request/reply; 0 with *reply filled, or a negative errno (store errors mapped). */
int pv_xs_request(u32 type, u32 tx_id, const struct kvec *iov, unsigned int niov,
		  struct pv_xs_reply *reply);
char *pv_xs_join(const char *dir, const char *node);
void pv_xs_queue_event(char *body, u32 len);
int pv_xs_watch_init(void);
void pv_xs_watch_exit(void);
int pv_bus_init(void);
void pv_bus_exit(void);
void pv_bus_debugfs_init(void);
void pv_bus_debugfs_exit(void);
int pv_pvbus_init(void);
void pv_pvbus_exit(void);
/* The store client, watches and bus are up (pvbus_* calls may be made). */
bool pv_pvbus_ready(void);
int pv_testdrv_set(bool on);
void pv_testdrv_take_log(char *buf, size_t size);

#endif /* PVCORE_INTERNAL_H */
