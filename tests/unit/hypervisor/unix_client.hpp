// unix_client.hpp: a test client for pvisor's stream sockets (vmm.sock, console.sock):
// connect, send, and read with a deadline, so that a missing reply fails instead of hanging.
#pragma once

#include "unique_fd.hpp"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace pvisor::test {

inline UniqueFd connect_unix(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    // SAFETY: sockaddr_un is the sockaddr the kernel expects for AF_UNIX.
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) // NOLINT
        return UniqueFd();
    return fd;
}

inline bool send_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// Reads until `out` ends with `until` (or holds `count` bytes when until is empty), EOF, or
// 5 s without data. `eof` tells whether the peer closed.
inline std::string read_until(int fd, const std::string& until, std::size_t count = 0,
                              bool* eof = nullptr) {
    std::string out;
    if (eof != nullptr)
        *eof = false;
    for (;;) {
        if (!until.empty() && out.size() >= until.size() &&
            out.compare(out.size() - until.size(), until.size(), until) == 0)
            return out;
        if (until.empty() && count != 0 && out.size() >= count)
            return out;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0)
            return out;
        char buf[65536];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            if (eof != nullptr)
                *eof = true;
            return out;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
}

// A fresh directory under $TMPDIR (or /tmp), removed with what is in it.
class TempDir {
  public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/pvisor-test-XXXXXX";
        if (::mkdtemp(tmpl.data()) != nullptr)
            m_path = tmpl;
    }
    ~TempDir() {
        if (!m_path.empty())
            (void)!std::system(("rm -rf '" + m_path + "'").c_str());
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::string& path() const { return m_path; }

  private:
    std::string m_path;
};

} // namespace pvisor::test
