// stream_format.cpp: names of the save stream's record types and errors.
#include "stream_format.hpp"

namespace pvisor::snapshot {

std::string_view record_type_name(std::uint32_t type) noexcept {
    switch (static_cast<RecordType>(type)) {
    case RecordType::domain: return "domain";
    case RecordType::memory: return "memory";
    case RecordType::balloon: return "balloon";
    case RecordType::vcpu_cpuid: return "vcpu_cpuid";
    case RecordType::vcpu_mp_state: return "vcpu_mp_state";
    case RecordType::vcpu_regs: return "vcpu_regs";
    case RecordType::vcpu_sregs: return "vcpu_sregs";
    case RecordType::vcpu_xsave: return "vcpu_xsave";
    case RecordType::vcpu_xcrs: return "vcpu_xcrs";
    case RecordType::vcpu_debugregs: return "vcpu_debugregs";
    case RecordType::vcpu_lapic: return "vcpu_lapic";
    case RecordType::vcpu_msrs: return "vcpu_msrs";
    case RecordType::vcpu_events: return "vcpu_events";
    case RecordType::irqchip: return "irqchip";
    case RecordType::pit: return "pit";
    case RecordType::clock: return "clock";
    case RecordType::evtchn: return "evtchn";
    case RecordType::timers: return "timers";
    case RecordType::grants: return "grants";
    case RecordType::platform: return "platform";
    case RecordType::store: return "store";
    case RecordType::end: return "end";
    }
    return "unknown";
}

bool known_record_type(std::uint32_t type) noexcept { return record_type_name(type) != "unknown"; }

std::string_view stream_err_name(StreamErr e) noexcept {
    switch (e) {
    case StreamErr::ok: return "ok";
    case StreamErr::io_error: return "io_error";
    case StreamErr::truncated: return "truncated";
    case StreamErr::bad_magic: return "bad_magic";
    case StreamErr::bad_version: return "bad_version";
    case StreamErr::bad_stream_flags: return "bad_stream_flags";
    case StreamErr::bad_record_flags: return "bad_record_flags";
    case StreamErr::too_large: return "too_large";
    case StreamErr::bad_checksum: return "bad_checksum";
    case StreamErr::unknown_mandatory: return "unknown_mandatory";
    case StreamErr::trailing_data: return "trailing_data";
    case StreamErr::bad_end: return "bad_end";
    case StreamErr::bad_payload: return "bad_payload";
    case StreamErr::missing_record: return "missing_record";
    case StreamErr::duplicate_record: return "duplicate_record";
    case StreamErr::incompatible: return "incompatible";
    }
    return "?";
}

} // namespace pvisor::snapshot
