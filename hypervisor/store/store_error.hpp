// store_error.hpp: xenstore error codes (the names that travel on the wire) and a result type.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

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

// A value or a xenstore error. Constructing from XsErr::ok is a bug.
template <typename T>
class [[nodiscard]] XsResult {
  public:
    XsResult(T value) : m_value(std::move(value)) {}         // NOLINT(google-explicit-constructor)
    XsResult(XsErr e) : m_err(e) { assert(e != XsErr::ok); } // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const noexcept { return m_value.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] XsErr error() const noexcept { return m_err; }
    T& value() & {
        assert(ok());
        return *m_value;
    }
    const T& value() const& {
        assert(ok());
        return *m_value;
    }
    T&& value() && {
        assert(ok());
        return std::move(*m_value);
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

  private:
    std::optional<T> m_value;
    XsErr m_err = XsErr::ok;
};

// Success or a xenstore error.
class [[nodiscard]] XsStatus {
  public:
    constexpr XsStatus() noexcept = default;
    constexpr XsStatus(XsErr e) noexcept : m_err(e) {} // NOLINT(google-explicit-constructor)
    [[nodiscard]] constexpr bool ok() const noexcept { return m_err == XsErr::ok; }
    [[nodiscard]] constexpr XsErr error() const noexcept { return m_err; }
    constexpr explicit operator bool() const noexcept { return ok(); }

  private:
    XsErr m_err = XsErr::ok;
};

} // namespace pvisor::store

// Propagates the error of an XsStatus- or XsResult-returning expression.
#define XS_TRY(expr)                                                                               \
    do {                                                                                           \
        auto&& xs_try_r_ = (expr);                                                                 \
        if (!xs_try_r_.ok())                                                                       \
            return xs_try_r_.error();                                                              \
    } while (0)
