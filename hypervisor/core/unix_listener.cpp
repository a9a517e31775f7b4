// unix_listener.cpp: bind + chmod + listen on an AF_UNIX path.
#include "unix_listener.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace pvisor {

Result<UniqueFd> listen_unix(const std::string& path, int type) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return Errc::invalid_argument;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return Errc::exists;
        ::unlink(path.c_str()); // a stale socket of an earlier run
    }
    UniqueFd fd(::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return Errc::system_error;
    // SAFETY: sockaddr_un is the sockaddr the kernel expects for AF_UNIX.
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) // NOLINT
        return Errc::system_error;
    if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd.get(), 16) != 0) {
        ::unlink(path.c_str());
        return Errc::system_error;
    }
    return fd;
}

} // namespace pvisor
