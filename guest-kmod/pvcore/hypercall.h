/* SPDX-License-Identifier: GPL-2.0 */
/* hypercall.h: pvisor hypercall and exitless-notify stubs (pv/pvisor.h transport). */
#ifndef PVCORE_HYPERCALL_H
#define PVCORE_HYPERCALL_H

#include <linux/types.h>
#include <pv/pvisor.h>
#include <pv/xen.h>

/*
 * One port read exits to pvisor: number in %eax, arguments in Xen's 64-bit order
 * (%rdi, %rsi, %rdx, %r10, %r8), 32-bit signed result in %eax. The argument registers are
 * declared as clobbered because nothing in the ABI promises they survive. Pointer arguments
 * are guest virtual addresses, so kernel stack and heap objects may be passed directly.
 */
static inline long pv_hypercall5(unsigned int nr, unsigned long a1, unsigned long a2,
				 unsigned long a3, unsigned long a4, unsigned long a5)
{
	register unsigned long r10 asm("r10") = a4;
	register unsigned long r8 asm("r8") = a5;
	unsigned int eax = nr;

	asm volatile("inl %[port], %%eax"
		     : "+a"(eax), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
		     : [port] "N"(PV_HCALL_PORT)
		     : "memory");
	return (long)(s32)eax;
}

static inline long pv_hypercall2(unsigned int nr, unsigned long a1, unsigned long a2)
{
	return pv_hypercall5(nr, a1, a2, 0, 0, 0);
}

static inline long pv_hypercall3(unsigned int nr, unsigned long a1, unsigned long a2,
				 unsigned long a3)
{
	return pv_hypercall5(nr, a1, a2, a3, 0, 0);
}

/* EVTCHNOP_send(port) without an exit when the port's peer is host-side (ioeventfd). */
static inline void pv_notify_port(u32 port)
{
	asm volatile("outl %%eax, %[port]" : : "a"(port), [port] "N"(PV_NOTIFY_PORT) : "memory");
}

#endif /* PVCORE_HYPERCALL_H */
