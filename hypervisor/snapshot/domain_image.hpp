// domain_image.hpp: a saved domain as values (KVM vCPU and VM state, pvisor's PV and platform
// device state) and its encoding as save stream records; guest memory is streamed apart
// (memory_image.hpp).
#pragma once

#include "devices/platform_device_state.hpp"
#include "kvm_state.hpp"
#include "pv_state.hpp"
#include "stream_reader.hpp"
#include "stream_writer.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pvisor::snapshot {

inline constexpr std::size_t kNameBytes = 72;
inline constexpr std::uint64_t kMaxRamBytes = 1ULL << 40;
inline constexpr std::uint32_t kMaxVcpus = 128;

// The DOMAIN record: what the restoring VMM needs before anything else.
struct DomainRecord {
    std::uint64_t ram_bytes = 0;
    std::uint64_t special_gpa = 0; // pvisor's special pages (pv/pvisor.h)
    std::uint32_t special_pages = 0;
    std::uint32_t vcpus = 0;
    std::uint32_t tsc_khz = 0; // the guest TSC's rate when saved
    std::uint16_t domid = 0;
    std::uint16_t pad = 0;
    char name[kNameBytes] = {}; // NUL-padded
};
static_assert(sizeof(DomainRecord) == 104);

// Everything but memory, as read from or written to a stream.
struct DomainImage {
    DomainRecord domain;
    std::vector<VcpuState> vcpus;
    VmKvmState vm;
    PvState pv;
    PlatformDeviceState platform;
    // The VMM's own store (standalone `pvisor run`): Store::snapshot bytes, tree and the
    // guest ring's watches. Absent in managed mode (the toolstack holds the store).
    std::optional<std::string> store;
};

// Writes the records of `image` after DOMAIN and memory: each vCPU's ten, then irqchip, PIT,
// clock, then event channels, timers, grant frames, balloon, platform device, store (if any).
[[nodiscard]] Status write_state_records(StreamWriter& w, const DomainImage& image);

// Checks a DOMAIN record's payload; `why` gets the refusal.
[[nodiscard]] Result<DomainRecord, StreamErr> decode_domain(const Record& r, std::string& why);

// Collects the state records of one stream (all but DOMAIN, memory and END) into an image,
// refusing malformed, duplicate and out-of-range records; finish() refuses a stream that
// lacks one. Trust: payloads are untrusted; each is size-checked before it is copied.
class StateCollector {
  public:
    explicit StateCollector(const DomainRecord& domain);
    // False (with `why`) if `r` is refused.
    [[nodiscard]] BasicStatus<StreamErr> add(const Record& r, std::string& why);
    // The image, once every vCPU's ten records and the VM and PV records were seen.
    [[nodiscard]] Result<DomainImage, StreamErr> finish(std::string& why);

  private:
    DomainImage m_image;
    // Which records were seen: per vCPU a bit per vcpu_* type; per VM/PV type one bit.
    std::vector<std::uint32_t> m_vcpu_seen;
    std::uint32_t m_seen = 0;
};

} // namespace pvisor::snapshot
