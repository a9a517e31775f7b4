/* pv/version.h: xen_version (hypercall 17). */
#ifndef PV_VERSION_H
#define PV_VERSION_H

#include "abi_types.h"

/* xen_version(cmd, arg): XENVER_version returns major << 16 | minor of the interface
 * (PV_INTERFACE_VERSION); XENVER_extraversion copies a 16-byte NUL-terminated string;
 * XENVER_get_features fills struct xen_feature_info for submap_idx 0 (-EINVAL others). */
#define XENVER_version 0
#define XENVER_extraversion 1
#define XENVER_get_features 6

#define PV_INTERFACE_VERSION ((4U << 16) | 17U) /* Xen 4.17 interface level */
#define XEN_EXTRAVERSION_LEN 16

struct xen_feature_info {
    pv_u32 submap_idx;
    pv_u32 submap;
};
PV_ASSERT_SIZE(struct xen_feature_info, 8);

#define XENFEAT_writable_page_tables 0
#define XENFEAT_auto_translated_physmap 2
#define XENFEAT_supervisor_mode_kernel 3
#define XENFEAT_hvm_callback_vector 8
#define XENFEAT_hvm_safe_pvclock 9

#endif /* PV_VERSION_H */
