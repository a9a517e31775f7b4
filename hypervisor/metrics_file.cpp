// metrics_file.cpp: periodic atomic rewrites of the metrics file.
#include "metrics_file.hpp"

#include "atomic_file.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace pvisor {

Result<std::unique_ptr<MetricsFile>> MetricsFile::start(std::string path, Collect collect,
                                                        std::chrono::milliseconds period) {
    UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
    if (!stop.valid())
        return Errc::system_error;
    std::unique_ptr<MetricsFile> m(new MetricsFile(std::move(path), std::move(collect), std::move(stop)));
    PV_TRY(m->write_now());
    m->m_thread = std::thread(&MetricsFile::loop, m.get(), period);
    return m;
}

MetricsFile::~MetricsFile() {
    const std::uint64_t one = 1;
    (void)!::write(m_stop.get(), &one, sizeof one);
    if (m_thread.joinable())
        m_thread.join();
    (void)write_now();
}

Status MetricsFile::write_now() const { return write_file_atomic(m_path, m_collect()); }

void MetricsFile::loop(std::chrono::milliseconds period) const {
    pollfd pfd{m_stop.get(), POLLIN, 0};
    for (;;) {
        const int r = ::poll(&pfd, 1, static_cast<int>(period.count()));
        if (r > 0 || (r < 0 && errno != EINTR))
            return;
        if (r == 0 && !write_now().ok())
            std::fprintf(stderr, "pvisor: metrics %s: cannot write\n", m_path.c_str());
    }
}

} // namespace pvisor
