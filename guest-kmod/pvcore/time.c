// SPDX-License-Identifier: GPL-2.0
/* time.c: pvclock reads of vcpu_time_info and the per-vCPU one-shot PV clockevent device. */
#include <linux/clockchips.h>
#include <linux/cpuhotplug.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <asm/msr.h>
#include <asm/pvclock.h>
#include <pv/event_channel.h>
#include <pv/vcpu.h>

#include "internal.h"
#include "pvcore.h"

/* Above the local APIC timer (100), so it becomes every CPU's tick device, as Xen's (500). */
#define PV_CLOCKEVENT_RATING 500
#define PV_TIMER_MIN_DELTA_NS 1000ULL
#define PV_TIMER_MAX_DELTA_NS 0xffffffffULL

struct pv_timer {
	struct clock_event_device ced;
	char name[16];
	int irq;
	bool registered;
};

/*
 * The tick device: "lapic" (default), the local APIC TSC-deadline timer the kernel had, which
 * KVM serves without leaving the kernel, or "pv", pvisor's one-shot timer
 * (VCPUOP_set_singleshot_timer: each reprogramming a hypercall, a userspace exit). lapic is the
 * default because it is faster: bench/guest/guest-io-bench measured pvblk at QD 1 about
 * twice as fast with it (docs/perf-guest-io.md). Event channels, console, store and devices
 * stay PV either way.
 */
static char *timer = "lapic";
module_param(timer, charp, 0444);
MODULE_PARM_DESC(timer, "tick device: lapic (the local APIC timer, default) or pv (pvisor's one-shot timer)");

static DEFINE_PER_CPU(struct pv_timer, pv_timers);
static enum cpuhp_state pv_timer_hp_state;
/* Set when some CPU's tick cannot be handed back: the module holds a reference to itself. */
static bool pv_timer_pinned;

/* pvisor system time (ns since domain creation) on vCPU @cpu, pvclock-style. */
u64 pv_clock_read(unsigned int cpu)
{
	const struct vcpu_time_info *t = &pv_vcpu_info(cpu)->time;
	u32 version;
	u64 ns;

	do {
		version = READ_ONCE(t->version);
		rmb(); /* the record is read after an even version */
		ns = READ_ONCE(t->system_time) +
		     pvclock_scale_delta(rdtsc_ordered() - READ_ONCE(t->tsc_timestamp),
					 READ_ONCE(t->tsc_to_system_mul), READ_ONCE(t->tsc_shift));
		rmb(); /* and the version re-read after the record */
	} while ((version & 1) || version != READ_ONCE(t->version));
	return ns;
}

static int pv_timer_set_next_event(unsigned long delta, struct clock_event_device *ced)
{
	unsigned int cpu = smp_processor_id();
	struct vcpu_set_singleshot_timer single = {
		.timeout_abs_ns = pv_clock_read(cpu) + delta,
		.flags = VCPU_SSHOTTMR_future,
	};
	int err;

	/* Timer calls act on the calling vCPU only, which is this clockevent's CPU. */
	err = pvcore_vcpu_op(VCPUOP_set_singleshot_timer, cpu, &single);
	/* -ETIME: already in the past; the clockevents core retries with a larger delta. */
	WARN_ON_ONCE(err && err != -ETIME);
	return err;
}

static int pv_timer_shutdown(struct clock_event_device *ced)
{
	unsigned int cpu = smp_processor_id();

	pvcore_vcpu_op(VCPUOP_stop_singleshot_timer, cpu, NULL);
	return 0;
}

static irqreturn_t pv_timer_interrupt(int irq, void *dev_id)
{
	struct clock_event_device *ced = &this_cpu_ptr(&pv_timers)->ced;

	if (ced->event_handler)
		ced->event_handler(ced);
	return IRQ_HANDLED;
}

static void pv_timer_register(struct pv_timer *t, unsigned int cpu)
{
	struct clock_event_device *ced = &t->ced;

	/*
	 * No memset on re-registration: the timer handler may read event_handler at any time,
	 * and registering resets the state the clockevents core keeps (per-CPU memory starts
	 * zeroed at load).
	 */
	ced->name = t->name;
	ced->features = CLOCK_EVT_FEAT_ONESHOT;
	ced->rating = PV_CLOCKEVENT_RATING;
	ced->cpumask = cpumask_of(cpu);
	ced->irq = t->irq;
	/* No owner: a tick device pins its owner, and pvcore unbinds on unload instead. */
	ced->set_next_event = pv_timer_set_next_event;
	ced->set_state_shutdown = pv_timer_shutdown;
	ced->set_state_oneshot_stopped = pv_timer_shutdown;
	clockevents_config_and_register(ced, NSEC_PER_SEC, PV_TIMER_MIN_DELTA_NS,
					PV_TIMER_MAX_DELTA_NS);
	t->registered = true;
}

/* Runs on @cpu itself (an AP hotplug state): the tick core picks devices per running CPU. */
static int pv_timer_cpu_online(unsigned int cpu)
{
	struct pv_timer *t = per_cpu_ptr(&pv_timers, cpu);

	if (cpu >= pv_nr_vcpus)
		return 0;
	snprintf(t->name, sizeof(t->name), "pv-timer%u", cpu);
	if (t->irq <= 0) {
		t->irq = pv_bind_virq_to_irq(VIRQ_TIMER, cpu, pv_timer_interrupt,
					     IRQF_TIMER | IRQF_NO_THREAD | IRQF_PERCPU, t->name,
					     t);
		if (t->irq < 0) {
			pr_err("pvcore: VIRQ_TIMER on vCPU %u: %d\n", cpu, t->irq);
			return t->irq;
		}
	}
	/*
	 * pvisor's periodic timer must not tick underneath the one-shot device. The call also
	 * refreshes this vCPU's time record, which must be live before the clock is trusted.
	 */
	pvcore_vcpu_op(VCPUOP_stop_periodic_timer, cpu, NULL);
	if (!READ_ONCE(pv_vcpu_info(cpu)->time.tsc_to_system_mul)) {
		pr_err("pvcore: vCPU %u has no time record\n", cpu);
		return -EIO;
	}
	pv_timer_register(t, cpu);
	/*
	 * Unloading hands each CPU's tick back to another device, and the clockevents core
	 * cannot take ours away without one. Find out now: a CPU where the unbind fails keeps
	 * the PV device, and the module pins itself (rmmod reports it in use) rather than
	 * leave the tick core pointing into freed module memory later.
	 */
	if (clockevents_unbind_device(&t->ced, cpu)) {
		pr_warn("pvcore: CPU %u has no other clockevent device: pvcore stays loaded\n",
			cpu);
		if (!pv_timer_pinned)
			__module_get(THIS_MODULE);
		pv_timer_pinned = true;
		return 0;
	}
	pv_timer_register(t, cpu);
	return 0;
}

/*
 * Hands the tick back to the next best device (the local APIC timer). The clockevents core
 * has no unregister: a successful unbind takes the device off every list, so the module's
 * memory may go. Unbind fails only when no other device can take over this CPU's tick.
 */
static int pv_timer_cpu_offline(unsigned int cpu)
{
	struct pv_timer *t = per_cpu_ptr(&pv_timers, cpu);
	int err;

	if (!t->registered)
		return 0;
	err = clockevents_unbind_device(&t->ced, cpu);
	if (err) {
		pr_err("pvcore: CPU %u has no other clockevent device to take its tick (%d)\n",
		       cpu, err);
		return err;
	}
	t->registered = false;
	pvcore_vcpu_op(VCPUOP_stop_singleshot_timer, cpu, NULL);
	return 0;
}

int pv_time_init(void)
{
	int state;

	if (!strcmp(timer, "lapic")) {
		pr_info("pvcore: tick device: the local APIC timer (timer=lapic)\n");
		return 0;
	}
	if (strcmp(timer, "pv")) {
		pr_err("pvcore: timer=%s: must be pv or lapic\n", timer);
		return -EINVAL;
	}

	state = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "pvcore/timer:online",
				  pv_timer_cpu_online, pv_timer_cpu_offline);
	if (state < 0)
		return state;
	pv_timer_hp_state = state;
	return 0;
}

void pv_time_exit(void)
{
	unsigned int cpu;

	if (pv_timer_hp_state)
		cpuhp_remove_state(pv_timer_hp_state);
	pv_timer_hp_state = 0;
	for_each_possible_cpu(cpu) {
		struct pv_timer *t = per_cpu_ptr(&pv_timers, cpu);

		/* A device still registered here means its unbind failed: keep it alive. */
		if (WARN_ON(t->registered))
			continue;
		if (t->irq > 0)
			pvcore_unbind(t->irq, t);
		t->irq = 0;
	}
}
