// aml.hpp: a small encoder of ACPI Machine Language (ACPI 6.0 §19.6 resource descriptors,
// §20 AML grammar): the names, scopes, devices, integers and resource templates of pvisor's DSDT.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace pvisor::aml {

using Bytes = std::vector<std::uint8_t>;

// PkgLength (§20.2.4) for a package whose contents after the PkgLength are `body_len`
// bytes: the encoded length counts itself. body_len must be below 2^28 - 4.
[[nodiscard]] Bytes pkg_length(std::size_t body_len);

// The smallest integer encoding: ZeroOp, OneOp, ByteConst, WordConst, DWordConst, QWordConst.
[[nodiscard]] Bytes integer(std::uint64_t v);
// EisaId("PNP0A03"): three capital letters and four hex digits, as a DWordConst.
[[nodiscard]] Bytes eisa_id(std::string_view id);
// A String of printable ASCII.
[[nodiscard]] Bytes string(std::string_view s);

// Name(SEG, value). `seg` is one NameSeg of exactly four characters (A-Z, 0-9, _).
[[nodiscard]] Bytes name(std::string_view seg, const Bytes& value);
// Scope(\SEG) { body }: `seg` is a root-relative NameSeg such as "_SB_".
[[nodiscard]] Bytes root_scope(std::string_view seg, const Bytes& body);
// Device(SEG) { body }.
[[nodiscard]] Bytes device(std::string_view seg, const Bytes& body);
// ResourceTemplate() { descriptors }: a Buffer ending with the End Tag.
[[nodiscard]] Bytes resource_template(const Bytes& descriptors);

// Resource descriptors (§6.4) for resource_template(). Producer ranges are decoded
// positively, with fixed minimum and maximum, and no translation.
namespace res {
// IO(Decode16, min, max, alignment, length).
[[nodiscard]] Bytes io(std::uint16_t min, std::uint16_t max, std::uint8_t align,
                       std::uint8_t length);
// IRQNoFlags() { irq }: an edge-triggered, active-high ISA IRQ below 16.
[[nodiscard]] Bytes irq_no_flags(unsigned irq);
// WordBusNumber(ResourceProducer, ...): buses min..max.
[[nodiscard]] Bytes word_bus_number(std::uint16_t min, std::uint16_t max);
// WordIO(ResourceProducer, ..., EntireRange): ports min..max.
[[nodiscard]] Bytes word_io(std::uint16_t min, std::uint16_t max);
// DWordMemory(ResourceProducer, ..., NonCacheable, ReadWrite): addresses min..max.
[[nodiscard]] Bytes dword_memory(std::uint32_t min, std::uint32_t max);
} // namespace res

} // namespace pvisor::aml
