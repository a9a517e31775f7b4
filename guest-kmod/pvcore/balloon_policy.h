/* SPDX-License-Identifier: GPL-2.0 */
/* balloon_policy.h: the balloon's arithmetic (targets, floor, steps, back-off), kernel-free. */
#ifndef PVCORE_BALLOON_POLICY_H
#define PVCORE_BALLOON_POLICY_H

#ifdef __KERNEL__
#include <linux/types.h>
#else /* guest-kmod/tests/balloon runs this arithmetic in userspace */
#include <stdbool.h>
#include <stdint.h>
typedef uint64_t u64;
#endif

/* Frames per decrease/populate call: one page of 64-bit frame numbers. */
#define PV_BALLOON_BATCH 512U
/* Seconds between retries of a stalled balloon: doubling from 1 up to this. */
#define PV_BALLOON_MAX_DELAY 32U

/*
 * The lowest target the balloon accepts, in pages, for a guest of @total pages: enough for
 * the kernel and a little userspace, growing with the guest (the tiers of xenolinux's
 * minimum_target): below 128 MiB 8 MiB + 1/2, below 512 MiB 40 MiB + 1/4, below 2 GiB
 * 104 MiB + 1/8, above 296 MiB + 1/32; never more than @total.
 */
unsigned long pv_balloon_floor(unsigned long total);

/*
 * memory/target is in KiB of the domain's whole allocation (memory/static-max at most),
 * which may differ from the RAM pages this guest sees (e820 holes, pages pvisor keeps).
 * As Linux's xen-balloon, the difference is fixed once, at the first target:
 * offset = static-max (or, without it, that first target) in pages - the guest's pages then.
 */
long pv_balloon_offset(u64 static_max_kib, unsigned long pages_now);

/*
 * The pages the balloon steers to for @target_kib: target - @offset, clamped to
 * [@floor, @total]; *@clamped says whether it was.
 */
unsigned long pv_balloon_target(u64 target_kib, long offset, unsigned long floor,
				unsigned long total, bool *clamped);

/*
 * The next step from @have pages toward @target: > 0 pages to take back (at most
 * @ballooned, the pages given back), < 0 pages to give (at most @available, what the
 * allocator can spare), 0 when there (or when nothing can move). At most PV_BALLOON_BATCH.
 */
long pv_balloon_step(unsigned long have, unsigned long target, unsigned long ballooned,
		     unsigned long available);

/*
 * Seconds to wait before the next pass: 0 after a pass that moved pages; after a stalled
 * one 1, then doubled with each further stall up to PV_BALLOON_MAX_DELAY.
 */
struct pv_balloon_backoff {
	unsigned int delay_s; /* zero-initialised */
};
unsigned int pv_balloon_next_delay(struct pv_balloon_backoff *b, bool progressed);

#endif /* PVCORE_BALLOON_POLICY_H */
