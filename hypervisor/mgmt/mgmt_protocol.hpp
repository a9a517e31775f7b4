// mgmt_protocol.hpp: the VMM management socket's wire format (docs/design.md "Management
// socket"): one JSON object per line each way. Requests are parsed here into validated
// values; nothing past parse_request sees JSON from the client.
#pragma once

#include "result.hpp"

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::mgmt {

// A request line may hold at most this many bytes before its newline; a longer one is
// answered with bad_request and the connection closed.
inline constexpr std::size_t kMaxLine = 64 * 1024;
// vcpu-pin: at most this many entries in "cpus" (a cpu_set_t's size).
inline constexpr std::size_t kMaxPinCpus = 1024;

enum class Op : std::uint8_t { pause, unpause, info, vcpu_pin, destroy, save };

// The closed set of error codes a reply carries in error.code.
enum class Code : std::uint8_t {
    bad_request,      // not JSON, not an object, a field missing or of the wrong type
    unknown_op,       // "op" names no operation
    invalid_argument, // well-formed, but names a vCPU or a CPU that does not exist
    busy,             // too many clients: the connection is closed after this reply
    failed,           // the host could not do it (a save's file or KVM): the message says
                      // why, and the domain is as it was before the request
};
[[nodiscard]] const char* code_name(Code c) noexcept;

struct Error {
    Code code = Code::bad_request;
    std::string message;
};

struct Request {
    Op op = Op::info;
    std::uint64_t vcpu = 0;           // vcpu-pin
    std::vector<std::uint64_t> cpus;  // vcpu-pin: non-empty, at most kMaxPinCpus
    std::string path;                 // save: absolute, at most kMaxPath bytes
    bool keep_running = false;        // save: "keep_running" (xl save -c)
    bool leave_paused = false;        // save: "paused" (xl save -p)
};
inline constexpr std::size_t kMaxPath = 4095;

// What a save reply reports.
struct Saved {
    std::uint64_t bytes = 0;
    std::uint64_t pages = 0;
    std::uint64_t zero_pages = 0;
    std::uint64_t ms = 0;
};

// Parses one request line (without its newline). On failure `error` says why and the
// result is Errc::invalid_argument.
[[nodiscard]] Result<Request> parse_request(std::string_view line, Error& error);

// One vCPU in an info reply.
struct VcpuInfo {
    unsigned id = 0;
    std::uint64_t exits = 0;
    std::uint64_t cpu_ns = 0;
    pid_t tid = 0;
    std::vector<unsigned> affinity;
};

struct Info {
    bool paused = false;
    std::uint16_t domid = 0;
    std::string name;
    std::vector<VcpuInfo> vcpus;
    std::uint64_t rss_kb = 0;
    std::uint64_t memory_bytes = 0;
    std::string counters; // "name value" lines, as the --metrics file
};

// Reply lines, each ending in '\n'.
[[nodiscard]] std::string reply_ok();
[[nodiscard]] std::string reply_error(const Error& error);
[[nodiscard]] std::string reply_info(const Info& info);
// {"ok":true,"bytes":B,"pages":P,"zero_pages":Z,"ms":T}
[[nodiscard]] std::string reply_saved(const Saved& saved);

} // namespace pvisor::mgmt
