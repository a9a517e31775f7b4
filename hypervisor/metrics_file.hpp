// metrics_file.hpp: a running guest's counters, rewritten every period into one file (as
// Firecracker's metrics file) as "name value" lines. Each write replaces the file atomically
// (temporary file + rename), so a reader never sees half of one.
#pragma once

#include "result.hpp"
#include "unique_fd.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace pvisor {

class MetricsFile {
  public:
    using Collect = std::function<std::string()>;

    // Writes once at once (so a bad path fails here, with errno set), then every `period`
    // on its own thread.
    static Result<std::unique_ptr<MetricsFile>> start(std::string path, Collect collect,
                                                      std::chrono::milliseconds period);
    // Stops the thread, then writes the final figures.
    ~MetricsFile();
    MetricsFile(const MetricsFile&) = delete;
    MetricsFile& operator=(const MetricsFile&) = delete;

  private:
    MetricsFile(std::string path, Collect collect, UniqueFd stop)
        : m_path(std::move(path)), m_collect(std::move(collect)), m_stop(std::move(stop)) {}
    [[nodiscard]] Status write_now() const;
    void loop(std::chrono::milliseconds period) const;

    std::string m_path;
    Collect m_collect;
    UniqueFd m_stop; // eventfd: the destructor's stop request
    std::thread m_thread;
};

} // namespace pvisor
