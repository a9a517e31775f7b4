/* pv/ring_barrier.h: the barrier shim under the ring logic (kernel virt_* or C11-style atomics). */
#ifndef PV_RING_BARRIER_H
#define PV_RING_BARRIER_H

#include "abi_types.h"

/*
 * Three operations on a shared pv_u32 index, and one fence. They are all the ring logic
 * (pv/ring_ops.h) needs; nothing else in it touches ordering.
 *   pv_idx_publish(p, v)  store v to *p; every earlier write (slot contents) is visible to a
 *                         peer that reads *p with pv_idx_observe before the new value is.
 *   pv_idx_observe(p)     load *p; later reads (slot contents) are not satisfied before it.
 *   pv_idx_set(p, v)      store v with no ordering of its own (event indices; a pv_mb follows).
 *   pv_mb()               full barrier: orders an earlier store before a later load.
 * Guest kernel (kbuild defines __KERNEL__): virt_wmb + WRITE_ONCE, READ_ONCE + virt_rmb,
 * virt_mb -- the virt_* forms stay real barriers on !SMP guest kernels, whose peer is a
 * host CPU. Userspace (gcc/clang, C or C++): __atomic builtins on the same plain pv_u32
 * (release store, acquire load, seq_cst fence), so ThreadSanitizer sees the
 * happens-before edges and x86 code is the same plain moves plus one locked op for pv_mb.
 */
#if defined(__KERNEL__)
#include <linux/compiler.h>
#include <asm/barrier.h>
#include <linux/string.h>

static inline void pv_idx_publish(pv_u32 *p, pv_u32 v)
{
    virt_wmb();
    WRITE_ONCE(*p, v);
}

static inline pv_u32 pv_idx_observe(const pv_u32 *p)
{
    pv_u32 v = READ_ONCE(*p);

    virt_rmb();
    return v;
}

static inline void pv_idx_set(pv_u32 *p, pv_u32 v)
{
    WRITE_ONCE(*p, v);
}

static inline void pv_mb(void)
{
    virt_mb();
}

#define pv_copy_bytes(dst, src, n) memcpy((dst), (src), (n))

#else /* userspace */

static inline void pv_idx_publish(pv_u32 *p, pv_u32 v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline pv_u32 pv_idx_observe(const pv_u32 *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void pv_idx_set(pv_u32 *p, pv_u32 v)
{
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static inline void pv_mb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#define pv_copy_bytes(dst, src, n) __builtin_memcpy((dst), (src), (n))

#endif

#endif /* PV_RING_BARRIER_H */
