// store_error.cpp: the xenstore error name table, generated from the wire header's list.
#include "store_error.hpp"

#include "pv/xs_wire.h"

#include <array>

namespace pvisor::store {
namespace {

// The wire header's X-macro keeps the names in Xen's order; the enum mirrors that order.
#define PV_XS_ERR_NAME(name) #name,
constexpr std::array<std::string_view, XS_ERROR_COUNT> kNames = {PV_XS_ERRORS(PV_XS_ERR_NAME)};
#undef PV_XS_ERR_NAME
static_assert(static_cast<std::size_t>(XsErr::eperm) + 1 == XS_ERROR_COUNT);

} // namespace

std::string_view xs_err_name(XsErr e) noexcept {
    if (e == XsErr::ok)
        return "OK";
    const auto i = static_cast<std::size_t>(e);
    return i < kNames.size() ? kNames[i] : "EINVAL";
}

std::optional<XsErr> xs_err_from_name(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kNames.size(); ++i) {
        if (kNames[i] == name)
            return static_cast<XsErr>(i);
    }
    return std::nullopt;
}

} // namespace pvisor::store
