/* kshim.c: kthreads, memremap and pvcore's irq/HVM-param calls for the userspace store client. */
#include "kshim.h"

#include <pv/hvm.h>

#include "client.h"
#include "internal.h"
#include "pvcore.h"

__thread int kshim_killed;
static struct task_struct kshim_main_task;
__thread struct task_struct *current = &kshim_main_task;

static void *kshim_thread(void *arg)
{
	struct task_struct *t = arg;

	current = t;
	t->fn(t->arg);
	return NULL;
}

struct task_struct *kthread_run(int (*fn)(void *), void *arg, const char *name)
{
	struct task_struct *t = calloc(1, sizeof(*t));

	(void)name;
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->fn = fn;
	t->arg = arg;
	if (pthread_create(&t->t, NULL, kshim_thread, t)) {
		free(t);
		return ERR_PTR(-EAGAIN);
	}
	return t;
}

int kthread_stop(struct task_struct *t)
{
	WRITE_ONCE(t->stop, 1);
	pthread_join(t->t, NULL);
	free(t);
	return 0;
}

static void *kshim_page;
static void (*kshim_notify_hook)(void);

void *memremap(unsigned long phys, size_t size, int flags)
{
	(void)flags;
	return phys == PVBUS_TEST_PFN << PAGE_SHIFT && size == PAGE_SIZE ? kshim_page : NULL;
}

void memunmap(void *p)
{
	(void)p;
}

void kshim_guest_notify(u32 port)
{
	(void)port;
	kshim_notify_hook();
}

int pvcore_hvm_get_param(u32 index, u64 *value)
{
	if (index == HVM_PARAM_STORE_PFN)
		*value = PVBUS_TEST_PFN;
	else if (index == HVM_PARAM_STORE_EVTCHN)
		*value = TC_STORE_PORT;
	else
		return -EINVAL;
	return 0;
}

static irq_handler_t kshim_handler;
static void *kshim_dev_id;

int pvcore_bind_existing_port(u32 port, bool close_on_unbind, irq_handler_t handler,
			      unsigned long irqflags, const char *name, void *dev_id)
{
	(void)port;
	(void)close_on_unbind;
	(void)irqflags;
	(void)name;
	kshim_dev_id = dev_id;
	__atomic_store_n(&kshim_handler, handler, __ATOMIC_SEQ_CST);
	return 7;
}

void pvcore_unbind(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	__atomic_store_n(&kshim_handler, NULL, __ATOMIC_SEQ_CST);
}

enum system_states system_state = SYSTEM_RUNNING;
static int kshim_poweroffs, kshim_forced, kshim_reboots;

void orderly_poweroff(bool force)
{
	__atomic_add_fetch(&kshim_poweroffs, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&kshim_forced, force, __ATOMIC_SEQ_CST);
}

void orderly_reboot(void)
{
	__atomic_add_fetch(&kshim_reboots, 1, __ATOMIC_SEQ_CST);
}

/* control.c asks whether pvbus is up; in the test it is once tc_start() succeeded. */
bool pv_pvbus_ready(void)
{
	return true;
}

void tc_set_system_state(int state)
{
	__atomic_store_n(&system_state, (enum system_states)state, __ATOMIC_SEQ_CST);
}

int tc_poweroffs(bool *forced)
{
	*forced = __atomic_load_n(&kshim_forced, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&kshim_poweroffs, __ATOMIC_SEQ_CST);
}

int tc_reboots(void)
{
	return __atomic_load_n(&kshim_reboots, __ATOMIC_SEQ_CST);
}

void tc_reset_calls(void)
{
	__atomic_store_n(&kshim_poweroffs, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&kshim_forced, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&kshim_reboots, 0, __ATOMIC_SEQ_CST);
	tc_set_system_state(SYSTEM_RUNNING);
}

void tc_setup(void *page, void (*notify)(void))
{
	kshim_page = page;
	kshim_notify_hook = notify;
}

void tc_irq(void)
{
	irq_handler_t h = __atomic_load_n(&kshim_handler, __ATOMIC_SEQ_CST);

	if (h)
		h(7, kshim_dev_id);
}

void tc_set_killed(int killed)
{
	kshim_killed = killed;
}
