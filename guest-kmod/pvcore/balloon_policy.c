// SPDX-License-Identifier: GPL-2.0
/* balloon_policy.c: the balloon's arithmetic; no kernel calls, so a userspace test runs it. */
#include "balloon_policy.h"

/* 4 KiB pages: pages = KiB / 4, MiB = 256 pages. */
#define PV_BALLOON_KIB_SHIFT 2
#define PV_BALLOON_MIB(x) ((unsigned long)(x) << 8)

unsigned long pv_balloon_floor(unsigned long total)
{
	unsigned long floor;

	if (total < PV_BALLOON_MIB(128))
		floor = PV_BALLOON_MIB(8) + total / 2;
	else if (total < PV_BALLOON_MIB(512))
		floor = PV_BALLOON_MIB(40) + total / 4;
	else if (total < PV_BALLOON_MIB(2048))
		floor = PV_BALLOON_MIB(104) + total / 8;
	else
		floor = PV_BALLOON_MIB(296) + total / 32;
	return floor < total ? floor : total;
}

/* KiB to pages, saturating at LONG_MAX pages so the signed arithmetic below cannot wrap. */
static long pv_balloon_kib_to_pages(u64 kib)
{
	u64 pages = kib >> PV_BALLOON_KIB_SHIFT;
	u64 max = (u64)(~0UL >> 1);

	return (long)(pages < max ? pages : max);
}

long pv_balloon_offset(u64 static_max_kib, unsigned long pages_now)
{
	long max_pages = pv_balloon_kib_to_pages(static_max_kib);
	u64 now = pages_now;

	if (now > (u64)(~0UL >> 1))
		now = ~0UL >> 1;
	/* Both in [0, LONG_MAX]: the difference fits a long. */
	return max_pages - (long)now;
}

unsigned long pv_balloon_target(u64 target_kib, long offset, unsigned long floor,
				unsigned long total, bool *clamped)
{
	long pages = pv_balloon_kib_to_pages(target_kib);
	unsigned long target;

	/* pages - offset, saturating: pages >= 0, offset any long. */
	if (offset < 0 && pages > (long)(~0UL >> 1) + offset)
		target = total;
	else if (offset > 0 && pages < offset)
		target = 0;
	else
		target = (unsigned long)(pages - offset);
	*clamped = true;
	if (target < floor)
		return floor;
	if (target > total)
		return total;
	*clamped = false;
	return target;
}

long pv_balloon_step(unsigned long have, unsigned long target, unsigned long ballooned,
		     unsigned long available)
{
	unsigned long n;

	if (have < target) {
		n = target - have;
		if (n > ballooned)
			n = ballooned;
		return (long)(n < PV_BALLOON_BATCH ? n : PV_BALLOON_BATCH);
	}
	n = have - target;
	if (n > available)
		n = available;
	return -(long)(n < PV_BALLOON_BATCH ? n : PV_BALLOON_BATCH);
}

unsigned int pv_balloon_next_delay(struct pv_balloon_backoff *b, bool progressed)
{
	if (progressed)
		b->delay_s = 0;
	else if (!b->delay_s)
		b->delay_s = 1;
	else if (b->delay_s < PV_BALLOON_MAX_DELAY / 2)
		b->delay_s *= 2;
	else
		b->delay_s = PV_BALLOON_MAX_DELAY;
	return b->delay_s;
}
