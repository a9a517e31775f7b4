// domain_restorer.cpp: a save stream read front to back into a new VM's memory and a
// DomainImage, every refusal named with the stream's error code.
#include "domain_restorer.hpp"

#include "memory_image.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace pvisor {

Errc RestoreStream::refuse(snapshot::StreamErr e, const std::string& message,
                           std::string& why) const {
    why = m_path + ": " + message + " [" + std::string(snapshot::stream_err_name(e)) + "]";
    return e == snapshot::StreamErr::io_error ? Errc::io_error : Errc::invalid_argument;
}

Result<std::unique_ptr<RestoreStream>> RestoreStream::open(const std::string& path,
                                                           std::string& why) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        why = path + ": " + std::strerror(errno);
        return Errc::not_found;
    }
    std::unique_ptr<RestoreStream> s(new RestoreStream(std::move(fd), path));
    if (auto st = s->m_reader.open(); !st.ok())
        return s->refuse(st.error(), s->m_reader.message(), why);
    auto first = s->m_reader.next();
    if (!first.ok())
        return s->refuse(first.error(), s->m_reader.message(), why);
    std::string what;
    auto d = snapshot::decode_domain(*first, what);
    if (!d.ok())
        return s->refuse(d.error(), what, why);
    s->m_domain = *d;
    return s;
}

Result<snapshot::DomainImage> RestoreStream::load(const GuestMemory& mem, std::string& why) {
    snapshot::StateCollector state(m_domain);
    while (true) {
        auto r = m_reader.next();
        if (!r.ok())
            return refuse(r.error(), m_reader.message(), why);
        std::string what;
        switch (static_cast<snapshot::RecordType>(r->type)) {
        case snapshot::RecordType::end: {
            auto image = state.finish(what);
            if (!image.ok())
                return refuse(image.error(), what, why);
            return std::move(*image);
        }
        case snapshot::RecordType::domain:
            return refuse(snapshot::StreamErr::duplicate_record,
                          "record " + std::to_string(r->index) + " (domain) at byte " +
                              std::to_string(r->offset) + ": appears twice",
                          why);
        case snapshot::RecordType::memory:
            if (auto st = snapshot::load_memory_record(*r, mem, what); !st.ok())
                return refuse(st.error(), what, why);
            break;
        default:
            if (auto st = state.add(*r, what); !st.ok())
                return refuse(st.error(), what, why);
            break;
        }
    }
}

} // namespace pvisor
