// stream_fuzz.cpp: libFuzzer target over the save stream reader: any bytes are read to the
// end or refused with an error and a message; nothing past a record's checked length is read.
#include "stream_reader.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace pvisor::snapshot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    MemorySource src(std::span(reinterpret_cast<const std::byte*>(data), size));
    StreamReader r(src);
    if (!r.open().ok()) {
        if (r.message().empty())
            std::abort();
        return 0;
    }
    for (int i = 0; i < 100000; ++i) {
        auto rec = r.next();
        if (!rec.ok()) {
            if (r.message().empty() || rec.error() == StreamErr::ok)
                std::abort();
            return 0;
        }
        if (rec->payload.size() > kMaxRecordBytes || !known_record_type(rec->type))
            std::abort();
        if (rec->type == static_cast<std::uint32_t>(RecordType::end))
            return 0;
    }
    return 0;
}
