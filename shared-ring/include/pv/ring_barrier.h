/* pv/ring_barrier.h: the barrier shim under the ring logic (kernel virt_* or C11-style atomics). */
#ifndef PV_RING_BARRIER_H
#define PV_RING_BARRIER_H

#include "abi_types.h"

/*
 * The only ordering primitives the ring logic (pv/ring_ops.h) uses, all on a shared pv_u32:
 *   pv_idx_publish(p, v)    store v to *p; every earlier write (slot contents) is visible to
 *                           a peer that reads *p with pv_idx_observe before the new value is.
 *   pv_idx_publish_mb(p, v) the same, then a full barrier: the store is globally visible
 *                           before any later load (the producer's notify decision).
 *   pv_idx_set_mb(p, v)     store v, then a full barrier (event indices before re-checking).
 *   pv_idx_observe(p)       load *p; later reads (slot contents) are not satisfied before it.
 * Guest kernel (kbuild defines __KERNEL__): virt_wmb + WRITE_ONCE (+ virt_mb), READ_ONCE +
 * virt_rmb -- the virt_* forms stay real barriers on !SMP guest kernels, whose peer is a host
 * CPU. Userspace (gcc/clang, C or C++): __atomic builtins on the same plain pv_u32: release
 * store; seq_cst store for the *_mb forms and seq_cst loads, which together give the
 * store-then-load ordering of the final-check protocol in the C11 model (no standalone
 * fence: ThreadSanitizer does not model fences, it does model these). On x86 this is the
 * same code as the kernel's: plain moves, and one xchg per *_mb.
 */
#if defined(__KERNEL__)
#include <asm/barrier.h>
#include <linux/compiler.h>
#include <linux/string.h>

static inline void pv_idx_publish(pv_u32* p, pv_u32 v) {
    virt_wmb();
    WRITE_ONCE(*p, v);
}

static inline void pv_idx_publish_mb(pv_u32* p, pv_u32 v) {
    virt_wmb();
    WRITE_ONCE(*p, v);
    virt_mb();
}

static inline void pv_idx_set_mb(pv_u32* p, pv_u32 v) {
    WRITE_ONCE(*p, v);
    virt_mb();
}

static inline pv_u32 pv_idx_observe(const pv_u32* p) {
    pv_u32 v = READ_ONCE(*p);

    virt_rmb();
    return v;
}

#define pv_copy_bytes(dst, src, n) memcpy((dst), (src), (n))

#else /* userspace */

static inline void pv_idx_publish(pv_u32* p, pv_u32 v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void pv_idx_publish_mb(pv_u32* p, pv_u32 v) {
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static inline void pv_idx_set_mb(pv_u32* p, pv_u32 v) {
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static inline pv_u32 pv_idx_observe(const pv_u32* p) {
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

#define pv_copy_bytes(dst, src, n) __builtin_memcpy((dst), (src), (n))

#endif

#endif /* PV_RING_BARRIER_H */
