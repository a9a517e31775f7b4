// domain_restorer.hpp: `pvisor run --restore FILE`: reads a save stream, checks it whole, and
// fills a new VM's memory; the state it returns is then written into KVM and the services.
#pragma once

#include "byte_stream.hpp"
#include "domain_image.hpp"
#include "guest_memory.hpp"
#include "stream_reader.hpp"
#include "unique_fd.hpp"

#include <memory>
#include <string>

namespace pvisor {

class RestoreStream {
  public:
    // Opens FILE and reads up to its DOMAIN record. `why` gets "FILE: <message> [code]".
    static Result<std::unique_ptr<RestoreStream>> open(const std::string& path, std::string& why);

    [[nodiscard]] const snapshot::DomainRecord& domain() const { return m_domain; }
    // Reads the rest of the stream: memory records into `mem` (a fresh VM's), the state
    // records into the image; refuses the stream (and `why` as above) at the first bad
    // record, a missing one, or a stream that ends without END.
    [[nodiscard]] Result<snapshot::DomainImage> load(const GuestMemory& mem, std::string& why);

  private:
    RestoreStream(UniqueFd fd, std::string path)
        : m_fd(std::move(fd)), m_path(std::move(path)), m_source(m_fd.get()), m_reader(m_source) {}
    [[nodiscard]] Errc refuse(snapshot::StreamErr e, const std::string& message, std::string& why) const;

    UniqueFd m_fd;
    std::string m_path;
    snapshot::FdSource m_source; // reads m_fd
    snapshot::StreamReader m_reader; // reads m_source
    snapshot::DomainRecord m_domain;
};

} // namespace pvisor
