// unique_fd.hpp: move-only owners of file descriptors and memory mappings.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <utility>

namespace pvisor {

class UniqueFd {
  public:
    UniqueFd() noexcept = default;
    explicit UniqueFd(int fd) noexcept : m_fd(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o)
            reset(std::exchange(o.m_fd, -1));
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    [[nodiscard]] int get() const noexcept { return m_fd; }
    [[nodiscard]] bool valid() const noexcept { return m_fd >= 0; }
    [[nodiscard]] int release() noexcept { return std::exchange(m_fd, -1); }
    void reset(int fd = -1) noexcept {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = fd;
    }

  private:
    int m_fd = -1;
};

// An mmap'ed region, unmapped on destruction.
class Mapping {
  public:
    Mapping() noexcept = default;
    Mapping(void* addr, std::size_t len) noexcept : m_addr(addr), m_len(len) {}
    Mapping(Mapping&& o) noexcept
        : m_addr(std::exchange(o.m_addr, nullptr)), m_len(std::exchange(o.m_len, 0)) {}
    Mapping& operator=(Mapping&& o) noexcept {
        if (this != &o) {
            reset();
            m_addr = std::exchange(o.m_addr, nullptr);
            m_len = std::exchange(o.m_len, 0);
        }
        return *this;
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() { reset(); }

    [[nodiscard]] void* get() const noexcept { return m_addr; }
    [[nodiscard]] std::byte* bytes() const noexcept { return static_cast<std::byte*>(m_addr); }
    [[nodiscard]] std::size_t size() const noexcept { return m_len; }
    [[nodiscard]] bool valid() const noexcept { return m_addr != nullptr; }
    void reset() noexcept {
        if (m_addr != nullptr)
            ::munmap(m_addr, m_len);
        m_addr = nullptr;
        m_len = 0;
    }

  private:
    void* m_addr = nullptr;
    std::size_t m_len = 0;
};

} // namespace pvisor
