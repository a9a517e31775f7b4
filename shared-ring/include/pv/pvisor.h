/* pv/pvisor.h: how a guest finds pvisor and reaches it: CPUID, hypercall and notify ports,
 * the platform PCI device that carries upcalls, and the special pages. */
#ifndef PV_PVISOR_H
#define PV_PVISOR_H

#include "abi_types.h"

/*
 * Detection. pvisor keeps KVM's own leaves at 0x40000000 (so kvm-clock and the other KVM
 * paravirt features keep working) and adds its leaves at PV_CPUID_BASE, the slot Xen uses
 * when Viridian is also exposed. Linux's built-in Xen support looks for "XenVMMXenVMM" and
 * so never mistakes pvisor for Xen.
 *   PV_CPUID_BASE + 0: EAX = highest pvisor leaf; EBX, ECX, EDX = "PvisorPvisor" (12 bytes,
 *                      little-endian in register order EBX, ECX, EDX).
 *   PV_CPUID_BASE + 1: EAX = PV_INTERFACE_VERSION (pv/version.h).
 *   PV_CPUID_BASE + 2: EAX = hypercall port, EBX = notify port, ECX = number of vCPUs,
 *                      EDX = PV_FEATURE_* bits.
 */
#define PV_CPUID_BASE 0x40000100U
#define PV_CPUID_LEAF_MAX (PV_CPUID_BASE + 2U)
#define PV_CPUID_SIGNATURE_EBX 0x73697650U /* "Pvis" */
#define PV_CPUID_SIGNATURE_ECX 0x7650726fU /* "orPv" */
#define PV_CPUID_SIGNATURE_EDX 0x726f7369U /* "isor" */

#define PV_FEATURE_NOTIFY_PORT (1U << 0)    /* exitless sends through PV_NOTIFY_PORT */
#define PV_FEATURE_UPCALL_MSIX (1U << 1)    /* per-vCPU upcalls through the platform device */
#define PV_FEATURE_SINGLESHOT_TIMER (1U << 2)

/*
 * Hypercall transport. KVM here has no Xen support and a vmcall never reaches a userspace
 * VMM, so a call is one port read:
 *
 *     mov  $nr, %eax            ; hypercall number (pv/xen.h)
 *     ; arguments in %rdi, %rsi, %rdx, %r10, %r8 (Xen's 64-bit register order)
 *     inl  $PV_HCALL_PORT, %eax ; exits to pvisor
 *     movslq %eax, %rax         ; result: 32-bit signed, -errno on failure
 *
 * The port number is an immediate so that %rdx stays free for the third argument. Only
 * CPL 0 may call (-EPERM otherwise). A call costs one userspace exit; everything the data
 * path does often (event sends to backends) goes through the notify port instead.
 */
#define PV_HCALL_PORT 0xE0U

/*
 * Exitless event send. `outl %eax, $PV_NOTIFY_PORT` with %eax = local port number means
 * EVTCHNOP_send(port), without a result. When the port is bound to a host-side party
 * (a backend, the store), pvisor has registered an ioeventfd with that data match, and KVM
 * signals the backend's eventfd inside the host kernel: no exit to userspace. Any other
 * port exits to pvisor, which performs the send (an invalid port is counted and ignored).
 */
#define PV_NOTIFY_PORT 0xE4U

/*
 * The platform PCI device: pvisor's upcall interrupt source (as the Xen platform PCI device
 * 5853:0001 is for Xen HVM guests), found on bus 0 through configuration mechanism #1
 * (ports 0xCF8/0xCFC). BAR0 is 4 KiB of MMIO holding an MSI-X table of one entry per vCPU at
 * offset PV_PLATFORM_MSIX_TABLE_OFFSET and its PBA at PV_PLATFORM_MSIX_PBA_OFFSET.
 * MSI-X entry i is vCPU i's event channel upcall: the guest programs entry i to target
 * CPU i; pvisor routes an irqfd to whatever message the guest writes there, and raises it
 * when event channels become pending for vCPU i (pv/shared_info.h). The upcall is an edge:
 * the guest handler must loop until evtchn_upcall_pending reads 0.
 */
#define PV_PLATFORM_VENDOR_ID 0x5850U /* "PV" */
#define PV_PLATFORM_DEVICE_ID 0x0001U
#define PV_PLATFORM_CLASS 0xFF0000U   /* class ff, subclass 00, prog-if 00 */
#define PV_PLATFORM_BAR0_SIZE 0x1000U
#define PV_PLATFORM_MSIX_TABLE_OFFSET 0x000U
#define PV_PLATFORM_MSIX_PBA_OFFSET 0x800U
#define PV_MAX_VCPUS 64U

/*
 * Special pages: a reserved guest-physical range (e820 "reserved") backed by pvisor, which
 * holds the rings of the services pvisor itself provides. The guest learns the frames
 * through HVM_PARAM_STORE_PFN and HVM_PARAM_CONSOLE_PFN (pv/hvm.h).
 */
#define PV_SPECIAL_PAGES_GPA 0xFEFF0000ULL
#define PV_SPECIAL_PAGES_COUNT 16U
#define PV_SPECIAL_PAGE_STORE 0U
#define PV_SPECIAL_PAGE_CONSOLE 1U

#endif /* PV_PVISOR_H */
