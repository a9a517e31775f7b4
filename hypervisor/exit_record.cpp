// exit_record.cpp: the exit file's one line, written and parsed.
#include "exit_record.hpp"

#include "atomic_file.hpp"

#include <unistd.h>

#include <charconv>

namespace pvisor {

std::string exit_record_path(std::string_view control_dir) {
    return std::string(control_dir) + "/exit";
}

std::string format_exit_record(int status, std::string_view reason) {
    std::string line = "status=" + std::to_string(status) + " reason=";
    for (const char c : reason)
        line += static_cast<unsigned char>(c) < 0x20 || c == 0x7F ? ' ' : c;
    return line + '\n';
}

Result<ExitRecord> parse_exit_record(std::string_view text) {
    constexpr std::string_view kStatus = "status=";
    constexpr std::string_view kReason = " reason=";
    if (text.size() < 2 || text.back() != '\n' || text.substr(0, kStatus.size()) != kStatus)
        return Errc::invalid_argument;
    text.remove_suffix(1);
    ExitRecord r;
    const char* begin = text.data() + kStatus.size();
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(begin, end, r.status);
    if (ec != std::errc{} || ptr == begin ||
        std::string_view(ptr, static_cast<std::size_t>(end - ptr)).substr(0, kReason.size()) != kReason)
        return Errc::invalid_argument;
    r.reason.assign(ptr + kReason.size(), end);
    for (const char c : r.reason) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
            return Errc::invalid_argument;
    }
    return r;
}

void remove_exit_record(std::string_view control_dir) {
    (void)::unlink(exit_record_path(control_dir).c_str());
}

Status write_exit_record(std::string_view control_dir, int status, std::string_view reason) {
    return write_file_atomic(exit_record_path(control_dir), format_exit_record(status, reason));
}

} // namespace pvisor
