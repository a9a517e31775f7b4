// crc32c.cpp: CRC-32C (reflected polynomial 0x82F63B78), hardware and table paths.
#include "crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace pvisor::snapshot {
namespace {

constexpr std::uint32_t kPoly = 0x82F63B78U;

constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1U) != 0 ? (c >> 1) ^ kPoly : c >> 1;
        t[i] = c;
    }
    return t;
}
constexpr std::array<std::uint32_t, 256> kTable = make_table();

std::uint32_t crc_table(const std::uint8_t* p, std::size_t len, std::uint32_t crc) noexcept {
    for (std::size_t i = 0; i < len; ++i)
        crc = kTable[(crc ^ p[i]) & 0xFFU] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc_sse42(const std::uint8_t* p, std::size_t len,
                                                           std::uint32_t crc) noexcept {
    std::uint64_t c = crc;
    while (len >= 8) {
        std::uint64_t v = 0;
        std::memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        len -= 8;
    }
    auto c32 = static_cast<std::uint32_t>(c);
    while (len-- > 0)
        c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}

bool have_sse42() noexcept {
    static const bool yes = __builtin_cpu_supports("sse4.2") != 0;
    return yes;
}
#endif

} // namespace

std::uint32_t crc32c(const void* data, std::size_t len, std::uint32_t crc) noexcept {
    const auto* p = static_cast<const std::uint8_t*>(data);
    crc = ~crc;
#if defined(__x86_64__)
    if (have_sse42())
        return ~crc_sse42(p, len, crc);
#endif
    return ~crc_table(p, len, crc);
}

} // namespace pvisor::snapshot
