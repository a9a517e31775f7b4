// run_dir.cpp: the toolstack directory and the small-file helpers its state lives in.
#include "run_dir.hpp"

#include "unique_fd.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pvisor::toolstack {

RunDir RunDir::from_env() {
    const char* env = std::getenv("PVISOR_RUN_DIR");
    return RunDir{env != nullptr && *env != '\0' ? std::string(env) : std::string("/run/pvisor")};
}

bool read_small_file(const std::string& path, std::string& out, std::size_t max) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return false;
    out.clear();
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0)
            return true;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > max)
            return false;
    }
}

bool make_dirs(const std::string& path) {
    for (std::size_t i = 1; i <= path.size(); ++i) {
        if (i != path.size() && path[i] != '/')
            continue;
        const std::string part = path.substr(0, i);
        if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
            return false;
    }
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace pvisor::toolstack
