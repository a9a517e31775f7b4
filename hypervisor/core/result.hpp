// result.hpp: the error-as-value type used across pvisor's host side.
#pragma once

#include <cassert>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace pvisor {

// Closed set of host-side failures. ABI codes (Xen errno, GNTST_*, xenstore error names)
// are produced from these in exactly one place per boundary.
enum class Errc {
    ok = 0,
    invalid_argument, // malformed input from a peer or a user
    bad_address,      // guest address outside RAM, or does not translate
    no_space,         // table full (ports, grants, handles)
    not_found,
    exists,
    permission_denied,
    busy,
    again,
    not_supported,
    io_error,
    no_memory,
    too_big,
    timed_out,
    protocol_error, // a peer broke the protocol: its ring/device is marked broken
    system_error,   // a host syscall failed; details were logged where it happened
};

[[nodiscard]] std::string_view errc_name(Errc e) noexcept;

// Returned by functions that produce nothing but can fail.
class [[nodiscard]] Status {
  public:
    constexpr Status() noexcept = default;
    constexpr Status(Errc e) noexcept : m_errc(e) {} // NOLINT(google-explicit-constructor)
    [[nodiscard]] constexpr bool ok() const noexcept { return m_errc == Errc::ok; }
    [[nodiscard]] constexpr Errc error() const noexcept { return m_errc; }
    constexpr explicit operator bool() const noexcept { return ok(); }

  private:
    Errc m_errc = Errc::ok;
};

// A value or an error; constructing from Errc::ok is a bug.
template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : m_value(std::move(value)) {} // NOLINT(google-explicit-constructor)
    Result(Errc e) : m_errc(e) { assert(e != Errc::ok); } // NOLINT(google-explicit-constructor)
    Result(Status s) : m_errc(s.error()) { assert(!s.ok()); } // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const noexcept { return m_value.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] Errc error() const noexcept { return m_errc; }

    T& value() & { assert(ok()); return *m_value; }
    const T& value() const& { assert(ok()); return *m_value; }
    T&& value() && { assert(ok()); return std::move(*m_value); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

  private:
    std::optional<T> m_value;
    Errc m_errc = Errc::ok;
};

} // namespace pvisor

// Propagates the error of a Status- or Result-returning expression.
#define PV_TRY(expr)                                                                               \
    do {                                                                                           \
        auto&& pv_try_r_ = (expr);                                                                 \
        if (!pv_try_r_.ok())                                                                       \
            return pv_try_r_.error();                                                              \
    } while (0)

// Binds the value of a Result-returning expression to `var`, or propagates its error.
#define PV_TRY_ASSIGN(var, expr)                                                                   \
    auto pv_tmp_##var = (expr);                                                                    \
    if (!pv_tmp_##var.ok())                                                                        \
        return pv_tmp_##var.error();                                                               \
    auto var = std::move(pv_tmp_##var).value()
