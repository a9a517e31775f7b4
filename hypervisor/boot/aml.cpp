// aml.cpp: AML byte encodings, each from the ACPI 6.0 grammar production it names.
#include "aml.hpp"

#include <cassert>

namespace pvisor::aml {
namespace {

constexpr std::uint8_t kZeroOp = 0x00;
constexpr std::uint8_t kOneOp = 0x01;
constexpr std::uint8_t kNameOp = 0x08;
constexpr std::uint8_t kBytePrefix = 0x0A;
constexpr std::uint8_t kWordPrefix = 0x0B;
constexpr std::uint8_t kDWordPrefix = 0x0C;
constexpr std::uint8_t kStringPrefix = 0x0D;
constexpr std::uint8_t kQWordPrefix = 0x0E;
constexpr std::uint8_t kScopeOp = 0x10;
constexpr std::uint8_t kBufferOp = 0x11;
constexpr std::uint8_t kExtOpPrefix = 0x5B;
constexpr std::uint8_t kDeviceOp = 0x82; // after kExtOpPrefix
constexpr std::uint8_t kRootChar = 0x5C; // '\'

// Large resource items (§6.4.3): tag, then a 16-bit length of what follows it.
constexpr std::uint8_t kDWordAddressSpace = 0x87;
constexpr std::uint8_t kWordAddressSpace = 0x88;
constexpr std::uint8_t kSpaceMemory = 0;
constexpr std::uint8_t kSpaceIo = 1;
constexpr std::uint8_t kSpaceBus = 2;
// General flags: _MAF (bit 3) and _MIF (bit 2) fixed, positive decode, producer (bit 0 = 0).
constexpr std::uint8_t kFixedProducer = 0x0C;
constexpr std::uint8_t kIoEntireRange = 0x03;      // _RNG: ISA and non-ISA ports
constexpr std::uint8_t kMemNonCacheableRw = 0x01;  // _RW, _MEM = 0 (non-cacheable)

void put(Bytes& out, std::uint64_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i)
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

bool valid_seg(std::string_view seg) {
    if (seg.size() != 4 || (seg[0] >= '0' && seg[0] <= '9'))
        return false;
    for (const char c : seg)
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}

void name_seg(Bytes& out, std::string_view seg) {
    assert(valid_seg(seg));
    out.insert(out.end(), seg.begin(), seg.end());
}

// An opcode (one or two bytes), PkgLength, then `head` and `body`.
Bytes package(std::initializer_list<std::uint8_t> op, const Bytes& head, const Bytes& body) {
    Bytes out(op);
    append(out, pkg_length(head.size() + body.size()));
    append(out, head);
    append(out, body);
    return out;
}

// A Word or DWord Address Space Descriptor: granularity 0, no translation, length max-min+1.
Bytes address_space(std::uint8_t tag, std::uint8_t type, std::uint8_t type_flags,
                    std::uint64_t min, std::uint64_t max, unsigned width) {
    Bytes out{tag};
    put(out, 3 + 5 * width, 2);
    out.push_back(type);
    out.push_back(kFixedProducer);
    out.push_back(type_flags);
    put(out, 0, width);
    put(out, min, width);
    put(out, max, width);
    put(out, 0, width);
    put(out, max - min + 1, width);
    return out;
}

} // namespace

Bytes pkg_length(std::size_t body_len) {
    // One byte holds up to 63; n following bytes add 4 + 8n bits.
    for (unsigned extra = 0; extra < 4; ++extra) {
        const std::size_t total = body_len + 1 + extra;
        if (extra == 0 && total < 64)
            return {static_cast<std::uint8_t>(total)};
        if (extra > 0 && total < (std::size_t{1} << (4 + 8 * extra))) {
            Bytes out{static_cast<std::uint8_t>((extra << 6) | (total & 0x0F))};
            put(out, total >> 4, extra);
            return out;
        }
    }
    assert(!"AML package too long");
    return {};
}

Bytes integer(std::uint64_t v) {
    if (v == 0)
        return {kZeroOp};
    if (v == 1)
        return {kOneOp};
    Bytes out;
    const auto prefixed = [&](std::uint8_t prefix, unsigned bytes) {
        out.push_back(prefix);
        put(out, v, bytes);
        return out;
    };
    if (v <= 0xFF)
        return prefixed(kBytePrefix, 1);
    if (v <= 0xFFFF)
        return prefixed(kWordPrefix, 2);
    if (v <= 0xFFFFFFFFU)
        return prefixed(kDWordPrefix, 4);
    return prefixed(kQWordPrefix, 8);
}

Bytes eisa_id(std::string_view id) {
    assert(id.size() == 7);
    const auto hex = [&](std::size_t i) -> unsigned {
        const char c = id[i];
        assert((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'));
        return c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'A' + 10);
    };
    // Three 5-bit letters (A = 1), big-endian, then the product number's two bytes.
    unsigned vendor = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        assert(id[i] >= 'A' && id[i] <= 'Z');
        vendor = (vendor << 5) | static_cast<unsigned>(id[i] - 0x40);
    }
    Bytes out{kDWordPrefix, static_cast<std::uint8_t>(vendor >> 8),
              static_cast<std::uint8_t>(vendor)};
    out.push_back(static_cast<std::uint8_t>((hex(3) << 4) | hex(4)));
    out.push_back(static_cast<std::uint8_t>((hex(5) << 4) | hex(6)));
    return out;
}

Bytes string(std::string_view s) {
    Bytes out{kStringPrefix};
    for (const char c : s) {
        assert(c >= 0x20 && c < 0x7F);
        out.push_back(static_cast<std::uint8_t>(c));
    }
    out.push_back(0);
    return out;
}

Bytes name(std::string_view seg, const Bytes& value) {
    Bytes out{kNameOp};
    name_seg(out, seg);
    append(out, value);
    return out;
}

Bytes root_scope(std::string_view seg, const Bytes& body) {
    Bytes head{kRootChar};
    name_seg(head, seg);
    return package({kScopeOp}, head, body);
}

Bytes device(std::string_view seg, const Bytes& body) {
    Bytes head;
    name_seg(head, seg);
    return package({kExtOpPrefix, kDeviceOp}, head, body);
}

Bytes resource_template(const Bytes& descriptors) {
    constexpr std::uint8_t kEndTag = 0x79; // small item 0x0F, length 1
    Bytes data = descriptors;
    data.push_back(kEndTag);
    data.push_back(0); // checksum 0: "the checksum is ignored" (§6.4.2.9)
    return package({kBufferOp}, integer(data.size()), data);
}

namespace res {

Bytes io(std::uint16_t min, std::uint16_t max, std::uint8_t align, std::uint8_t length) {
    constexpr std::uint8_t kIoPort = 0x47; // small item 0x08, length 7
    Bytes out{kIoPort, 0x01};              // 16-bit decode
    put(out, min, 2);
    put(out, max, 2);
    out.push_back(align);
    out.push_back(length);
    return out;
}

Bytes irq_no_flags(unsigned irq) {
    assert(irq < 16);
    constexpr std::uint8_t kIrq = 0x22; // small item 0x04, length 2: edge, active high
    Bytes out{kIrq};
    put(out, 1U << irq, 2);
    return out;
}

Bytes word_bus_number(std::uint16_t min, std::uint16_t max) {
    return address_space(kWordAddressSpace, kSpaceBus, 0, min, max, 2);
}

Bytes word_io(std::uint16_t min, std::uint16_t max) {
    return address_space(kWordAddressSpace, kSpaceIo, kIoEntireRange, min, max, 2);
}

Bytes dword_memory(std::uint32_t min, std::uint32_t max) {
    return address_space(kDWordAddressSpace, kSpaceMemory, kMemNonCacheableRw, min, max, 4);
}

} // namespace res
} // namespace pvisor::aml
