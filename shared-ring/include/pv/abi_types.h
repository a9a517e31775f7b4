/* pv/abi_types.h: fixed-width types and layout assertions shared by every pvisor wire header. */
#ifndef PV_ABI_TYPES_H
#define PV_ABI_TYPES_H

/*
 * Every wire header is plain C11 that is also valid C++20, and compiles in three settings:
 * the guest kernel (kbuild, <linux/types.h>), userspace C and userspace C++ (<stdint.h>).
 * Fields are fixed-width and little-endian (x86_64 only); no bool, enum, bitfield, pointer
 * or long appears in a wire structure. Padding is explicit and every size and offset is
 * asserted, so a layout change fails the build instead of the peer.
 */
#if defined(__KERNEL__)
#include <linux/types.h>
#include <linux/stddef.h>
typedef __u8 pv_u8;
typedef __u16 pv_u16;
typedef __u32 pv_u32;
typedef __u64 pv_u64;
typedef __s8 pv_s8;
typedef __s16 pv_s16;
typedef __s32 pv_s32;
typedef __s64 pv_s64;
#else
#include <stddef.h>
#include <stdint.h>
typedef uint8_t pv_u8;
typedef uint16_t pv_u16;
typedef uint32_t pv_u32;
typedef uint64_t pv_u64;
typedef int8_t pv_s8;
typedef int16_t pv_s16;
typedef int32_t pv_s32;
typedef int64_t pv_s64;
#endif

#if defined(__cplusplus)
#define PV_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define PV_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* Asserts the size of a wire structure. */
#define PV_ASSERT_SIZE(type, size) PV_STATIC_ASSERT(sizeof(type) == (size), #type " size")
/* Asserts the offset of one field of a wire structure. */
#define PV_ASSERT_OFFSET(type, field, off)                                                        \
    PV_STATIC_ASSERT(offsetof(type, field) == (off), #type "." #field " offset")

/*
 * A guest handle is a guest *virtual* address, as Xen's XEN_GUEST_HANDLE is for HVM guests
 * on x86_64. pvisor translates it through the calling vCPU's page tables (KVM_TRANSLATE),
 * page by page, and then through the bounds-checked guest-memory map; a handle that does not
 * translate, or leaves guest RAM, fails the call with -EFAULT. See docs/abi.md.
 */
typedef pv_u64 pv_guest_handle;

typedef pv_u16 pv_domid;
typedef pv_u32 pv_evtchn_port;
typedef pv_u32 pv_grant_ref;

#endif /* PV_ABI_TYPES_H */
