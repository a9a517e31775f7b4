// pv_platform.cpp: configuration space, MSI-X table/PBA emulation and upcall delivery.
#include "pv_platform.hpp"

#include <pv/pvisor.h>

#include <linux/kvm.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

namespace pvisor {
namespace {

constexpr unsigned kRegCommand = 0x04;
constexpr unsigned kRegStatus = 0x06;
constexpr unsigned kRegBar0 = 0x10;
constexpr unsigned kRegSubsystem = 0x2C;
constexpr unsigned kRegCapPtr = 0x34;
constexpr unsigned kRegIntLine = 0x3C;
constexpr unsigned kCapMsix = 0x40;
constexpr std::uint16_t kCommandMemory = 1U << 1;
constexpr std::uint16_t kStatusCapList = 1U << 4;
constexpr std::uint16_t kMsixEnable = 1U << 15;
constexpr std::uint16_t kMsixFunctionMask = 1U << 14;
constexpr unsigned kEntrySize = 16;
constexpr std::uint32_t kEntryMasked = 1U;

} // namespace

Result<std::unique_ptr<PvPlatformDevice>> PvPlatformDevice::create(
    int vm_fd, IrqRouting& routing, unsigned vectors, std::function<void(unsigned)> on_enabled) {
    if (vectors == 0 || vectors > PV_MAX_VCPUS)
        return Errc::invalid_argument;
    std::unique_ptr<PvPlatformDevice> dev(
        new PvPlatformDevice(routing, vectors, std::move(on_enabled)));
    for (unsigned i = 0; i < vectors; ++i) {
        UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!efd.valid())
            return Errc::system_error;
        // The irqfd is bound to its GSI for the VM's lifetime; the route behind the GSI
        // follows the guest's MSI-X programming (KVM re-reads it on every routing change).
        kvm_irqfd irqfd{};
        irqfd.fd = static_cast<std::uint32_t>(efd.get());
        irqfd.gsi = IrqRouting::kFirstMsiGsi + i;
        if (::ioctl(vm_fd, KVM_IRQFD, &irqfd) < 0)
            return Errc::system_error;
        dev->m_vectors[i].irqfd = std::move(efd);
    }
    return dev;
}

PvPlatformDevice::PvPlatformDevice(IrqRouting& routing, unsigned vectors,
                                   std::function<void(unsigned)> on_enabled)
    : m_routing(routing), m_on_enabled(std::move(on_enabled)), m_vectors(vectors) {
    init_config();
}

void PvPlatformDevice::init_config() {
    m_cfg.set16(0x00, PV_PLATFORM_VENDOR_ID);
    m_cfg.set16(0x02, PV_PLATFORM_DEVICE_ID);
    m_cfg.set16(kRegStatus, kStatusCapList);
    m_cfg.set32(0x08, (PV_PLATFORM_CLASS << 8) | 1U); // class ff/00/00, revision 1
    m_cfg.set16(kRegSubsystem, PV_PLATFORM_VENDOR_ID);
    m_cfg.set16(kRegSubsystem + 2, PV_PLATFORM_DEVICE_ID);
    m_cfg.set8(kRegCapPtr, kCapMsix);
    // Command: I/O space, memory space, bus master, INTx disable are guest-writable.
    m_cfg.set_writable(kRegCommand, 0x07);
    m_cfg.set_writable(kRegCommand + 1, 0x04);
    // BAR0: 32-bit non-prefetchable memory of 4 KiB, so address bits 31..12 are writable.
    m_cfg.set32(kRegBar0, static_cast<std::uint32_t>(kDefaultBar0));
    m_cfg.set_writable(kRegBar0 + 1, 0xF0);
    m_cfg.set_writable(kRegBar0 + 2, 0xFF);
    m_cfg.set_writable(kRegBar0 + 3, 0xFF);
    m_cfg.set_writable(kRegIntLine, 0xFF); // no INTx pin, but the register is scratch
    // MSI-X capability: table size N-1; enable and function mask writable; table at BAR0 +
    // PV_PLATFORM_MSIX_TABLE_OFFSET, PBA at BAR0 + PV_PLATFORM_MSIX_PBA_OFFSET (BIR 0).
    m_cfg.set8(kCapMsix, 0x11);
    m_cfg.set8(kCapMsix + 1, 0x00);
    m_cfg.set16(kCapMsix + 2, static_cast<std::uint16_t>(m_vectors.size() - 1));
    m_cfg.set_writable(kCapMsix + 3, 0xC0);
    m_cfg.set32(kCapMsix + 4, PV_PLATFORM_MSIX_TABLE_OFFSET);
    m_cfg.set32(kCapMsix + 8, PV_PLATFORM_MSIX_PBA_OFFSET);
}

std::uint32_t PvPlatformDevice::config_read(unsigned reg) {
    std::lock_guard lock(m_mu);
    return m_cfg.read32(reg);
}

void PvPlatformDevice::config_write(unsigned reg, std::uint32_t value, unsigned byte_enable) {
    std::vector<unsigned> enabled;
    {
        std::lock_guard lock(m_mu);
        m_cfg.write32(reg, value, byte_enable);
        if (reg == (kCapMsix & ~3U)) { // enable / function mask may have changed
            for (unsigned i = 0; i < m_vectors.size(); ++i)
                update_locked(i, enabled);
        }
    }
    notify(enabled);
}

bool PvPlatformDevice::msix_active_locked() const {
    const std::uint16_t control = m_cfg.get16(kCapMsix + 2);
    return (control & kMsixEnable) != 0 && (control & kMsixFunctionMask) == 0;
}

std::uint64_t PvPlatformDevice::bar0_locked() const {
    return m_cfg.read32(kRegBar0) & ~std::uint32_t{PV_PLATFORM_BAR0_SIZE - 1};
}

bool PvPlatformDevice::mmio(std::uint64_t gpa, bool is_write, std::uint8_t* data, unsigned len) {
    std::vector<unsigned> enabled;
    {
        std::lock_guard lock(m_mu);
        const std::uint64_t base = bar0_locked();
        if ((m_cfg.get16(kRegCommand) & kCommandMemory) == 0 || gpa < base ||
            gpa >= base + PV_PLATFORM_BAR0_SIZE)
            return false;
        const auto off = static_cast<unsigned>(gpa - base);
        // The MSI-X rules: dword or qword accesses, naturally aligned; others are ignored.
        if ((len != 4 && len != 8) || (off % len) != 0) {
            if (!is_write)
                std::memset(data, 0, len);
            return true;
        }
        static_assert(PV_PLATFORM_MSIX_TABLE_OFFSET == 0, "the table starts the BAR");
        const unsigned table_end = static_cast<unsigned>(m_vectors.size()) * kEntrySize;
        if (off < table_end)
            table_access(off, is_write, data, len, enabled);
        else if (off >= PV_PLATFORM_MSIX_PBA_OFFSET && !is_write)
            pba_read(off - PV_PLATFORM_MSIX_PBA_OFFSET, data, len);
        else if (!is_write)
            std::memset(data, 0, len);
    }
    notify(enabled);
    return true;
}

void PvPlatformDevice::table_access(unsigned off, bool is_write, std::uint8_t* data,
                                    unsigned len, std::vector<unsigned>& enabled) {
    const unsigned i = off / kEntrySize;
    Vector& v = m_vectors[i];
    // The entry as four dwords: address low, address high, data, vector control.
    std::uint32_t words[4] = {static_cast<std::uint32_t>(v.msg.address),
                              static_cast<std::uint32_t>(v.msg.address >> 32), v.msg.data,
                              v.masked ? kEntryMasked : 0U};
    const unsigned w = (off % kEntrySize) / 4;
    if (!is_write) {
        std::memcpy(data, &words[w], len);
        return;
    }
    std::memcpy(&words[w], data, len);
    v.msg.address = (std::uint64_t{words[1]} << 32) | words[0];
    v.msg.data = words[2];
    v.masked = (words[3] & kEntryMasked) != 0;
    update_locked(i, enabled);
}

void PvPlatformDevice::pba_read(unsigned off, std::uint8_t* data, unsigned len) {
    std::uint64_t bits[PV_MAX_VCPUS / 64] = {};
    for (unsigned i = 0; i < m_vectors.size(); ++i)
        if (m_vectors[i].pending)
            bits[i / 64] |= std::uint64_t{1} << (i % 64);
    if (off + len > sizeof bits) {
        std::memset(data, 0, len);
        return;
    }
    std::memcpy(data, reinterpret_cast<const std::uint8_t*>(bits) + off, len);
}

void PvPlatformDevice::update_locked(unsigned i, std::vector<unsigned>& enabled) {
    Vector& v = m_vectors[i];
    const bool live = msix_active_locked() && !v.masked;
    const unsigned gsi = IrqRouting::kFirstMsiGsi + i;
    if (live) {
        // Re-route on every change of a live entry (Linux rewrites unmasked entries when
        // it moves an interrupt between CPUs).
        if (!m_routing.set_msi(gsi, v.msg).ok())
            return; // KVM refused the route: the vector stays undeliverable (latched)
        if (!v.live) {
            v.live = true;
            enabled.push_back(i);
            if (v.pending) {
                v.pending = false;
                fire_locked(v);
            }
        }
    } else {
        v.live = false;
    }
}

void PvPlatformDevice::fire_locked(Vector& v) {
    const std::uint64_t one = 1;
    ++v.raised;
    // EAGAIN means the counter is saturated: an interrupt is already on its way.
    (void)!::write(v.irqfd.get(), &one, sizeof one);
}

void PvPlatformDevice::raise(unsigned i) {
    std::lock_guard lock(m_mu);
    if (i >= m_vectors.size())
        return;
    Vector& v = m_vectors[i];
    if (v.live) {
        fire_locked(v);
    } else {
        v.pending = true;
        ++v.latched;
    }
}

void PvPlatformDevice::notify(const std::vector<unsigned>& enabled) {
    if (!m_on_enabled)
        return;
    for (unsigned i : enabled)
        m_on_enabled(i);
}

std::uint64_t PvPlatformDevice::raised(unsigned i) const {
    std::lock_guard lock(m_mu);
    return i < m_vectors.size() ? m_vectors[i].raised : 0;
}

std::uint64_t PvPlatformDevice::latched(unsigned i) const {
    std::lock_guard lock(m_mu);
    return i < m_vectors.size() ? m_vectors[i].latched : 0;
}

PlatformDeviceState PvPlatformDevice::save() const {
    std::lock_guard lock(m_mu);
    PlatformDeviceState st;
    st.command = m_cfg.read32(kRegCommand);
    st.bar0 = m_cfg.read32(kRegBar0);
    st.int_line = m_cfg.read32(kRegIntLine);
    st.msix_control = m_cfg.read32(kCapMsix);
    for (const Vector& v : m_vectors)
        st.vectors.push_back({v.msg.address, v.msg.data, static_cast<std::uint8_t>(v.masked),
                              static_cast<std::uint8_t>(v.pending), 0});
    return st;
}

Status PvPlatformDevice::restore(const PlatformDeviceState& st) {
    std::vector<unsigned> enabled;
    {
        std::lock_guard lock(m_mu);
        if (st.vectors.size() != m_vectors.size())
            return Errc::invalid_argument;
        m_cfg.write32(kRegCommand, st.command, 0xF);
        m_cfg.write32(kRegBar0, st.bar0, 0xF);
        m_cfg.write32(kRegIntLine, st.int_line, 0xF);
        m_cfg.write32(kCapMsix, st.msix_control, 0xF);
        for (std::size_t i = 0; i < m_vectors.size(); ++i) {
            Vector& v = m_vectors[i];
            v.msg = MsiMessage{st.vectors[i].address, st.vectors[i].data};
            v.masked = st.vectors[i].masked != 0;
            v.pending = st.vectors[i].pending != 0;
            v.live = false;
        }
        for (unsigned i = 0; i < m_vectors.size(); ++i)
            update_locked(i, enabled);
    }
    notify(enabled);
    return {};
}

} // namespace pvisor
