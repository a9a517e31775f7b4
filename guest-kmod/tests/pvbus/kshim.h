/* kshim.h: userspace stand-ins for the kernel APIs pvbus_{ring,xs,watch}.c use (tests only). */
/*
 * Enough of the kernel for the store client to run as threads of a test: locks are pthread
 * mutexes, wait queues re-check their condition at least every millisecond (so a lost wake-up
 * costs latency, never a hang), kthreads are pthreads. Notifications and the irq go through
 * hooks in kshim.c that the test wires to pvisor's StoreRing.
 */
#ifndef KSHIM_H
#define KSHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
/* pvcore's hypercall.h does port I/O; the test's pv_notify_port calls the test instead. */
#define PVCORE_HYPERCALL_H
void kshim_guest_notify(u32 port);
static inline void pv_notify_port(u32 port)
{
	kshim_guest_notify(port);
}
typedef unsigned gfp_t;
#define GFP_KERNEL 0u
#define __GFP_ZERO 1u
#define U32_MAX 0xffffffffu
#define HZ 100
#define PAGE_SIZE 4096ul
#define PAGE_SHIFT 12
#define MEMREMAP_WB 1
#define EXPORT_SYMBOL_GPL(x)
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __scanf(a, b) __attribute__((format(scanf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(p, t, m) ((t *)((char *)(p) - offsetof(t, m)))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define min3(a, b, c) min(min(a, b), c)
#define min_t(t, a, b) min((t)(a), (t)(b))
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define mb() __sync_synchronize()
#define rmb() __sync_synchronize()
#define wmb() __sync_synchronize()
#define pr_err(...) fprintf(stderr, __VA_ARGS__)
#define pr_warn(...) fprintf(stderr, __VA_ARGS__)
#define pr_info(...) fprintf(stderr, __VA_ARGS__)
#define pr_debug(...) do { } while (0)
#define pr_info_ratelimited(...) fprintf(stderr, __VA_ARGS__)
#define pr_warn_ratelimited(...) fprintf(stderr, __VA_ARGS__)
#define MAX_ERRNO 4095
#define ERR_PTR(e) ((void *)(long)(e))
#define PTR_ERR(p) ((long)(p))
#define IS_ERR(p) ((unsigned long)(p) >= (unsigned long)-MAX_ERRNO)
#define PTR_ERR_OR_ZERO(p) (IS_ERR(p) ? (int)PTR_ERR(p) : 0)
#define ERESTARTSYS 512
#define PVBUS_TEST_PFN 0x1234UL
static inline void *kmalloc(size_t n, gfp_t g)
{
	(void)g;
	return malloc(n ? n : 1);
}

static inline void *kzalloc(size_t n, gfp_t g)
{
	(void)g;
	return calloc(1, n ? n : 1);
}

static inline void kfree(const void *p)
{
	free((void *)p);
}

static inline char *kstrdup(const char *s, gfp_t g)
{
	(void)g;
	return strdup(s);
}

__attribute__((format(printf, 2, 0))) static inline char *kvasprintf(gfp_t g, const char *f,
								      va_list ap)
{
	char *s;

	(void)g;
	return vasprintf(&s, f, ap) < 0 ? NULL : s;
}

__attribute__((format(printf, 2, 3))) static inline char *kasprintf(gfp_t g, const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	s = kvasprintf(g, f, ap);
	va_end(ap);
	return s;
}

static inline long strscpy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size);

	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -7; /* -E2BIG */
	}
	memcpy(dst, src, len + 1);
	return (long)len;
}

static inline int kstrtou32(const char *s, unsigned int base, u32 *out)
{
	unsigned long v;
	char *e;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &e, base);
	if (*e || errno || v > U32_MAX)
		return -EINVAL;
	*out = (u32)v;
	return 0;
}
struct kvec { void *iov_base; size_t iov_len; };
/* lists */
struct list_head { struct list_head *next, *prev; };
#define LIST_HEAD_INIT(n) { &(n), &(n) }
#define LIST_HEAD(n) struct list_head n = LIST_HEAD_INIT(n)
static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l;
	l->prev = l;
}

static inline void kshim_list_insert(struct list_head *n, struct list_head *prev,
				     struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *h)
{
	kshim_list_insert(n, h, h->next);
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	kshim_list_insert(n, h->prev, h);
}

static inline void kshim_list_unlink(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
}

/* Poisoned like the kernel's, so a use after list_del faults in the test. */
static inline void list_del(struct list_head *e)
{
	kshim_list_unlink(e);
	e->next = (struct list_head *)0x100;
	e->prev = (struct list_head *)0x122;
}

static inline void list_move(struct list_head *e, struct list_head *h)
{
	kshim_list_unlink(e);
	list_add(e, h);
}

static inline int list_empty(const struct list_head *h)
{
	return __atomic_load_n(&h->next, __ATOMIC_RELAXED) == h;
}
#define list_entry(p, t, m) container_of(p, t, m)
#define list_first_entry(h, t, m) list_entry((h)->next, t, m)
#define list_next_entry(p, m) list_entry((p)->m.next, __typeof__(*(p)), m)
#define list_for_each_entry(p, h, m) \
	for (p = list_first_entry(h, __typeof__(*p), m); &p->m != (h); p = list_next_entry(p, m))
#define list_for_each_entry_safe(p, n, h, m) \
	for (p = list_first_entry(h, __typeof__(*p), m), n = list_next_entry(p, m); &p->m != (h); \
	     p = n, n = list_next_entry(n, m))
/* locks */
typedef struct { pthread_mutex_t m; } spinlock_t;
#define DEFINE_SPINLOCK(n) spinlock_t n = { PTHREAD_MUTEX_INITIALIZER }
#define spin_lock(l) pthread_mutex_lock(&(l)->m)
#define spin_unlock(l) pthread_mutex_unlock(&(l)->m)
struct mutex { pthread_mutex_t m; };
#define DEFINE_MUTEX(n) struct mutex n = { PTHREAD_MUTEX_INITIALIZER }
#define mutex_lock(l) pthread_mutex_lock(&(l)->m)
#define mutex_lock_killable(l) (pthread_mutex_lock(&(l)->m), 0)
#define mutex_unlock(l) pthread_mutex_unlock(&(l)->m)
/* wait queues: a generation counter + condvar; conditions re-checked at least every 1 ms */
typedef struct { pthread_mutex_t m; pthread_cond_t c; } wait_queue_head_t;
#define DECLARE_WAIT_QUEUE_HEAD(n) wait_queue_head_t n = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER }
static inline void kshim_wait_tick(wait_queue_head_t *q)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&q->m);
	pthread_cond_timedwait(&q->c, &q->m, &ts);
	pthread_mutex_unlock(&q->m);
}

static inline void wake_up_all(wait_queue_head_t *q)
{
	pthread_mutex_lock(&q->m);
	pthread_cond_broadcast(&q->c);
	pthread_mutex_unlock(&q->m);
}
#define wake_up(q) wake_up_all(q)
extern __thread int kshim_killed;
#define wait_event(q, cond) do { while (!(cond)) kshim_wait_tick(&(q)); } while (0)
#define wait_event_interruptible(q, cond) ({ wait_event(q, cond); 0; })
#define wait_event_killable(q, cond)                                                             \
	({                                                                                       \
		int __r = 0;                                                                     \
		while (!(cond)) {                                                                \
			if (kshim_killed) {                                                      \
				__r = -ERESTARTSYS;                                              \
				break;                                                           \
			}                                                                        \
			kshim_wait_tick(&(q));                                                   \
		}                                                                                \
		__r;                                                                             \
	})
/* t in jiffies (HZ = 100); each tick is at most 1 ms, so t * 10 ticks bound the wait. */
#define wait_event_timeout(q, cond, t)                                                           \
	({                                                                                       \
		long __n = (t) * 10;                                                             \
		while (!(cond) && __n-- > 0)                                                     \
			kshim_wait_tick(&(q));                                                   \
		(cond) ? 1L : 0L;                                                                \
	})
/* threads */
struct task_struct { pthread_t t; int (*fn)(void *); void *arg; volatile int stop; };
extern __thread struct task_struct *current;
struct task_struct *kthread_run(int (*fn)(void *), void *arg, const char *name);
int kthread_stop(struct task_struct *t);
static inline bool kthread_should_stop(void)
{
	return current && READ_ONCE(current->stop);
}
/* irqs, memremap, hvm params: the test provides them */
typedef int irqreturn_t;
#define IRQ_HANDLED 1
typedef irqreturn_t (*irq_handler_t)(int, void *);
void *memremap(unsigned long phys, size_t size, int flags);
void memunmap(void *p);
/* reboot.h: the test sets the state and counts the orderly calls (kshim.c). */
enum system_states {
	SYSTEM_BOOTING,
	SYSTEM_SCHEDULING,
	SYSTEM_FREEING_INITMEM,
	SYSTEM_RUNNING,
	SYSTEM_HALT,
	SYSTEM_POWER_OFF,
	SYSTEM_RESTART,
	SYSTEM_SUSPEND,
};
extern enum system_states system_state;
void orderly_poweroff(bool force);
void orderly_reboot(void);
struct page;
struct dentry;
struct module;
struct device {
	int unused;
};
struct device_driver {
	int unused;
};
int vsscanf(const char *, const char *, va_list);
#endif
