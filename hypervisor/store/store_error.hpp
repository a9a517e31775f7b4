// store_error.hpp: xenstore error codes (the names that travel on the wire) and a result type.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "result.hpp"

namespace pvisor::store {

// In Xen's xsd_errors[] order (pv/xs_wire.h PV_XS_ERRORS); only the name crosses the wire.
enum class XsErr : std::uint8_t {
    ok = 0xff,
    einval = 0,
    eacces,
    eexist,
    eisdir,
    enoent,
    enomem,
    enospc,
    eio,
    enotempty,
    enosys,
    erofs,
    ebusy,
    eagain,
    eisconn,
    e2big,
    eperm,
};

// "ENOENT" etc.; "OK" for XsErr::ok.
[[nodiscard]] std::string_view xs_err_name(XsErr e) noexcept;
// The inverse, for clients reading an XS_ERROR payload; nullopt for an unknown name.
[[nodiscard]] std::optional<XsErr> xs_err_from_name(std::string_view name) noexcept;

// A value or a xenstore error, and success or a xenstore error: the project's result types
// over XsErr. Constructing an error from XsErr::ok is a bug.
template <typename T>
using XsResult = Result<T, XsErr>;
using XsStatus = BasicStatus<XsErr>;

} // namespace pvisor::store

// Propagates the error of an XsStatus- or XsResult-returning expression.
#define XS_TRY(expr)                                                                               \
    do {                                                                                           \
        auto&& xs_try_r_ = (expr);                                                                 \
        if (!xs_try_r_.ok())                                                                       \
            return xs_try_r_.error();                                                              \
    } while (0)
