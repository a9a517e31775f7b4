// blk_test_util.hpp: request builders, checksums and a temp image for the block backend tests.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <initializer_list>
#include <pv/blkif.h>
#include <span>
#include <string>
#include <unistd.h>

namespace pvisor::backend::testing {

inline blkif_request_any make_rw(std::uint8_t op, std::uint64_t id, std::uint64_t sector,
                                 std::initializer_list<blkif_request_segment> segs) {
    blkif_request_any r{};
    r.rw.operation = op;
    r.rw.nr_segments = static_cast<std::uint8_t>(segs.size());
    r.rw.id = id;
    r.rw.sector_number = sector;
    std::size_t i = 0;
    for (const auto& s : segs)
        r.rw.seg[i++] = s;
    return r;
}

inline blkif_request_segment full_page(pv_grant_ref ref) {
    return {ref, 0, 7, 0};
}

inline std::uint64_t fnv1a(std::span<const std::byte> data) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (std::byte b : data) {
        h ^= static_cast<std::uint8_t>(b);
        h *= 0x100000001b3ULL;
    }
    return h;
}

// A temporary image file of `bytes` (sparse, zero-filled), removed on destruction.
class TempImage {
  public:
    explicit TempImage(std::uint64_t bytes, const char* dir = "/tmp") {
        m_path = std::string(dir) + "/pvblk-test-XXXXXX";
        const int fd = ::mkstemp(m_path.data());
        if (fd >= 0) {
            m_ok = ::ftruncate(fd, static_cast<off_t>(bytes)) == 0;
            ::close(fd);
        }
    }
    ~TempImage() { ::unlink(m_path.c_str()); }
    TempImage(const TempImage&) = delete;
    TempImage& operator=(const TempImage&) = delete;
    [[nodiscard]] const std::string& path() const { return m_path; }
    [[nodiscard]] bool ok() const { return m_ok; }

  private:
    std::string m_path;
    bool m_ok = false;
};

} // namespace pvisor::backend::testing
