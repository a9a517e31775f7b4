// atomic_file.cpp: temporary file, full write, rename.
#include "atomic_file.hpp"

#include "unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace pvisor {

Status write_file_atomic(const std::string& path, std::string_view text, mode_t mode) {
    const std::string tmp = path + ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd.valid())
        return Errc::system_error;
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int saved = errno;
            ::unlink(tmp.c_str());
            errno = saved;
            return Errc::system_error;
        }
        done += static_cast<std::size_t>(n);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int saved = errno;
        ::unlink(tmp.c_str());
        errno = saved;
        return Errc::system_error;
    }
    return {};
}

} // namespace pvisor
