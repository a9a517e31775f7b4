// byte_stream.cpp: fd and memory sources and sinks of a save stream.
#include "byte_stream.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pvisor::snapshot {

Result<std::size_t> FdSource::read(std::span<std::byte> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::read(m_fd, out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Errc::system_error;
        if (n == 0)
            break;
        done += static_cast<std::size_t>(n);
    }
    return done;
}

Status FdSink::write(std::span<const std::byte> data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(m_fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return Errc::system_error;
        done += static_cast<std::size_t>(n);
    }
    return {};
}

Result<std::size_t> MemorySource::read(std::span<std::byte> out) {
    const std::size_t n = std::min(out.size(), m_data.size() - m_pos);
    if (n > 0)
        std::memcpy(out.data(), m_data.data() + m_pos, n);
    m_pos += n;
    return n;
}

Status MemorySink::write(std::span<const std::byte> data) {
    m_bytes.insert(m_bytes.end(), data.begin(), data.end());
    return {};
}

} // namespace pvisor::snapshot
