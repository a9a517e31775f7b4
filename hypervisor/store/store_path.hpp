// store_path.hpp: validation and resolution of store paths (absolute, relative, special).
#pragma once

#include "store_error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace pvisor::store {

using DomId = std::uint16_t;

// A path checked against pv/xs_wire.h's rules and made absolute.
struct ResolvedPath {
    std::string abs;       // "/local/domain/1/x", "/" or a special "@releaseDomain"
    bool relative = false; // given relative: watch events report it relative again
};

// "/local/domain/<domid>".
[[nodiscard]] std::string domain_path(DomId domid);

// Resolves `path` for a connection of domain `domid`. EINVAL for an empty path, a bad
// character, "//", a trailing '/', or a length over xenstored's limit: XENSTORE_REL_PATH_MAX
// bytes for a relative path, for the part of an absolute one after "/local/domain/<id>/",
// and for any other absolute path. Special '@' paths (any bytes, the same limit) are
// accepted only when `allow_special` (watches).
[[nodiscard]] XsResult<ResolvedPath> resolve_path(std::string_view path, DomId domid,
                                                  bool allow_special = false);

// "/a/b" -> "/a"; "/a" -> "/". Precondition: abs is an absolute path other than "/".
[[nodiscard]] std::string_view parent_path(std::string_view abs);
// "/a/b" -> "b".
[[nodiscard]] std::string_view base_name(std::string_view abs);
// True when `path` is `ancestor` or lies below it ("/" is everyone's ancestor).
[[nodiscard]] bool is_at_or_below(std::string_view path, std::string_view ancestor);
// The event path reported for a relative watch: `abs` without "/local/domain/<id>/" when it
// lies below the domain's directory, else `abs` unchanged.
[[nodiscard]] std::string relative_to_domain(std::string_view abs, DomId domid);

} // namespace pvisor::store
