// stream_format.hpp: the save stream's wire layout (docs/save-format.md is the spec): stream
// header, record header, record types, limits, and the closed set of stream errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pvisor::snapshot {

// All integers little-endian (pvisor runs on x86-64 only; the structs are written as they lie
// in memory, and the static_asserts pin their layout).

inline constexpr char kStreamMagic[8] = {'P', 'V', 'I', 'S', 'O', 'R', 'S', 'V'};
inline constexpr std::uint32_t kStreamVersion = 1;

struct StreamHeader {
    char magic[8];         // kStreamMagic
    std::uint32_t version; // kStreamVersion
    std::uint32_t flags;   // none defined: must be 0
};
static_assert(sizeof(StreamHeader) == 16);

// Record flags.
inline constexpr std::uint32_t kRecordMandatory = 1U << 0; // a reader that does not know the
                                                           // type must refuse the stream
inline constexpr std::uint32_t kRecordFlagsKnown = kRecordMandatory;

// Each record: this header, then `length` payload bytes. `crc` is CRC-32C over the first 12
// header bytes (type, flags, length) followed by the payload.
struct RecordHeader {
    std::uint32_t type;
    std::uint32_t flags;
    std::uint32_t length;
    std::uint32_t crc;
};
static_assert(sizeof(RecordHeader) == 16);
static_assert(offsetof(RecordHeader, crc) == 12);

// The largest payload a reader accepts (a memory record carries at most kMaxPagesPerRecord
// pages; the largest KVM state, xsave, is 4 KiB).
inline constexpr std::uint32_t kMaxRecordBytes = 4U << 20;
inline constexpr std::uint32_t kMaxPagesPerRecord = 256;

// Record types. The stream is: header, DOMAIN, then any records, then END (last).
enum class RecordType : std::uint32_t {
    domain = 0x0001,  // DomainRecord
    memory = 0x0002,  // MemoryRunHeader + count pages
    balloon = 0x0003, // runs of frames given back: {u64 first_gfn, u64 count}...
    // Per vCPU: u32 vcpu, u32 0, then KVM's struct (or count + entries). Restored in this order.
    vcpu_cpuid = 0x0010,     // u32 nent, u32 0, kvm_cpuid_entry2[nent]
    vcpu_mp_state = 0x0011,  // kvm_mp_state
    vcpu_regs = 0x0012,      // kvm_regs
    vcpu_sregs = 0x0013,     // kvm_sregs
    vcpu_xsave = 0x0014,     // kvm_xsave (4096 bytes)
    vcpu_xcrs = 0x0015,      // kvm_xcrs
    vcpu_debugregs = 0x0016, // kvm_debugregs
    vcpu_lapic = 0x0017,     // kvm_lapic_state
    vcpu_msrs = 0x0018,      // u32 nmsrs, u32 0, kvm_msr_entry[nmsrs]
    vcpu_events = 0x0019,    // kvm_vcpu_events
    // Per VM (KVM).
    irqchip = 0x0020, // kvm_irqchip[3]: PIC master, PIC slave, IOAPIC
    pit = 0x0021,     // kvm_pit_state2
    clock = 0x0022,   // kvm_clock_data
    // pvisor's own state.
    evtchn = 0x0030,   // EvtchnRecord + EvtchnPortRecord[nports]
    timers = 0x0031,   // TimersRecord + TimerRecord[vcpus]
    grants = 0x0032,   // u32 nframes, u32 0, u64 gpa[nframes]
    platform = 0x0033, // PlatformDeviceRecord + MsixVectorRecord[nvectors]
    store = 0x0034,    // the domain's store subtree and watches (docs/save-format.md)
    end = 0xFFFF,      // EndRecord
};

[[nodiscard]] std::string_view record_type_name(std::uint32_t type) noexcept;
// True for a type this pvisor knows how to read.
[[nodiscard]] bool known_record_type(std::uint32_t type) noexcept;

struct EndRecord {
    std::uint64_t records; // records before this one (the stream header not counted)
    std::uint64_t bytes;   // stream bytes before this record's header
};
static_assert(sizeof(EndRecord) == 16);

// Why a stream was refused. One message per error (StreamReader::message, decode's `why`)
// names the record, its byte offset and the values involved.
enum class StreamErr : std::uint8_t {
    ok = 0,
    io_error,          // the source failed (errno in the message)
    truncated,         // the source ended inside a header or record, or before END
    bad_magic,         // not a pvisor save stream
    bad_version,       // a version this pvisor does not read
    bad_stream_flags,  // stream header flags set that this version does not define
    bad_record_flags,  // record flags set that this version does not define
    too_large,         // record length above kMaxRecordBytes
    bad_checksum,      // CRC-32C mismatch
    unknown_mandatory, // a mandatory record of a type this pvisor does not know
    trailing_data,     // bytes after END
    bad_end,           // END's counts differ from what was read
    bad_payload,       // a known record whose payload is malformed (size, values)
    missing_record,    // a record the domain needs is absent (DOMAIN first, a vCPU's state)
    duplicate_record,  // a record that may appear once appears again
    incompatible,      // the stream needs what this host or VM lacks (e.g. a KVM refusal)
};

[[nodiscard]] std::string_view stream_err_name(StreamErr e) noexcept;

} // namespace pvisor::snapshot
