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

// Returned by functions that produce nothing but can fail. E is a closed error enum with an
// `ok` member (Errc here; the store's XsErr uses the same template).
template <typename E>
class [[nodiscard]] BasicStatus {
  public:
    constexpr BasicStatus() noexcept = default;
    constexpr BasicStatus(E e) noexcept : m_errc(e) {} // NOLINT(google-explicit-constructor)
    [[nodiscard]] constexpr bool ok() const noexcept { return m_errc == E::ok; }
    [[nodiscard]] constexpr E error() const noexcept { return m_errc; }
    constexpr explicit operator bool() const noexcept { return ok(); }

  private:
    E m_errc = E::ok;
};
using Status = BasicStatus<Errc>;

// A value or an error; constructing from E::ok is a bug.
template <typename T, typename E = Errc>
class [[nodiscard]] Result {
  public:
    Result(T value) : m_value(std::move(value)) {} // NOLINT(google-explicit-constructor)
    Result(E e) : m_errc(e) { assert(e != E::ok); } // NOLINT(google-explicit-constructor)
    Result(BasicStatus<E> s) : m_errc(s.error()) { assert(!s.ok()); } // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const noexcept { return m_value.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] E error() const noexcept { return m_errc; }

    T& value() & { assert(ok()); return *m_value; }
    const T& value() const& { assert(ok()); return *m_value; }
    T&& value() && { assert(ok()); return std::move(*m_value); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

  private:
    std::optional<T> m_value;
    E m_errc = E::ok;
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
