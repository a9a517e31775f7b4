// SPDX-License-Identifier: GPL-2.0
/*
 * selftest.c: IPI event ping-pong between vCPU 0 and vCPU 1 for the e2e tests.
 * `echo N > /sys/kernel/debug/pvcore/pingpong` runs N round trips; reading the file gives
 * "pingpong <pongs>/<N> ok|FAILED ping=<events on vCPU 0> pong=<events on vCPU 1>".
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>

#include "hypercall.h"
#include "internal.h"
#include "pvcore.h"

#define PV_PINGPONG_MAX 10000000U
#define PV_PINGPONG_TIMEOUT_MS 60000U

struct pv_pingpong {
	int irq;
	u32 port;
	unsigned int cpu;
	atomic_t events;
	char name[16];
};

static struct pv_pingpong pv_ping = { .cpu = 0 };
static struct pv_pingpong pv_pong = { .cpu = 1 };
static unsigned int pv_pp_target;
static atomic_t pv_pp_wrong_cpu;
static DECLARE_COMPLETION(pv_pp_done);
static DEFINE_MUTEX(pv_pp_lock);
static char pv_pp_result[128] = "pingpong not run\n";

/* vCPU 0: count the pong, serve the next ping until the target is reached. */
static irqreturn_t pv_ping_interrupt(int irq, void *dev_id)
{
	if (smp_processor_id() != pv_ping.cpu)
		atomic_inc(&pv_pp_wrong_cpu);
	if (atomic_inc_return(&pv_ping.events) >= READ_ONCE(pv_pp_target))
		complete(&pv_pp_done);
	else
		pv_notify_port(pv_pong.port);
	return IRQ_HANDLED;
}

/* vCPU 1: answer every ping. */
static irqreturn_t pv_pong_interrupt(int irq, void *dev_id)
{
	if (smp_processor_id() != pv_pong.cpu)
		atomic_inc(&pv_pp_wrong_cpu);
	atomic_inc(&pv_pong.events);
	pv_notify_port(pv_ping.port);
	return IRQ_HANDLED;
}

static int pv_pp_bind(struct pv_pingpong *pp, irq_handler_t handler)
{
	snprintf(pp->name, sizeof(pp->name), "pv-ipi%u", pp->cpu);
	pp->irq = pv_bind_ipi_to_irq(pp->cpu, handler, IRQF_NO_THREAD, pp->name, pp,
				     &pp->port);
	return pp->irq < 0 ? pp->irq : 0;
}

static void pv_pp_run(unsigned int n)
{
	unsigned long left;
	unsigned int ping, pong;

	atomic_set(&pv_ping.events, 0);
	atomic_set(&pv_pong.events, 0);
	atomic_set(&pv_pp_wrong_cpu, 0);
	reinit_completion(&pv_pp_done);
	WRITE_ONCE(pv_pp_target, n);
	/* The first ping goes to vCPU 1; from then on the handlers bounce it. */
	pv_notify_port(pv_pong.port);
	left = wait_for_completion_timeout(&pv_pp_done, msecs_to_jiffies(PV_PINGPONG_TIMEOUT_MS));
	ping = atomic_read(&pv_ping.events);
	pong = atomic_read(&pv_pong.events);
	snprintf(pv_pp_result, sizeof(pv_pp_result),
		 "pingpong %u/%u %s ping=%u pong=%u wrong_cpu=%d\n", ping, n,
		 left && ping == n && pong == n && !atomic_read(&pv_pp_wrong_cpu) ? "ok" : "FAILED",
		 ping, pong, atomic_read(&pv_pp_wrong_cpu));
	pr_info("pvtest: %s", pv_pp_result);
}

static ssize_t pv_pp_write(struct file *file, const char __user *buf, size_t len, loff_t *ppos)
{
	unsigned int n;
	int err;

	err = kstrtouint_from_user(buf, len, 0, &n);
	if (err)
		return err;
	if (n == 0 || n > PV_PINGPONG_MAX)
		return -EINVAL;
	if (pv_ping.irq <= 0 || pv_pong.irq <= 0)
		return -ENODEV;
	mutex_lock(&pv_pp_lock);
	pv_pp_run(n);
	mutex_unlock(&pv_pp_lock);
	return len;
}

static ssize_t pv_pp_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&pv_pp_lock);
	ret = simple_read_from_buffer(buf, len, ppos, pv_pp_result, strlen(pv_pp_result));
	mutex_unlock(&pv_pp_lock);
	return ret;
}

static const struct file_operations pv_pp_fops = {
	.owner = THIS_MODULE,
	.read = pv_pp_read,
	.write = pv_pp_write,
	.llseek = default_llseek,
};

int pv_selftest_init(void)
{
	int err;

	if (pv_nr_vcpus < 2 || !cpu_online(1)) {
		pr_info("pvcore: one vCPU, no IPI ping-pong\n");
		return 0;
	}
	err = pv_pp_bind(&pv_ping, pv_ping_interrupt);
	if (err)
		return err;
	err = pv_pp_bind(&pv_pong, pv_pong_interrupt);
	if (err) {
		pvcore_unbind(pv_ping.irq, &pv_ping);
		pv_ping.irq = 0;
		return err;
	}
	debugfs_create_file("pingpong", 0600, pv_debugfs_dir, NULL, &pv_pp_fops);
	return 0;
}

void pv_selftest_exit(void)
{
	if (pv_pong.irq > 0)
		pvcore_unbind(pv_pong.irq, &pv_pong);
	if (pv_ping.irq > 0)
		pvcore_unbind(pv_ping.irq, &pv_ping);
	pv_ping.irq = 0;
	pv_pong.irq = 0;
}
