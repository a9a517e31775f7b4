// byte_stream.hpp: where a save stream is read from and written to: an fd (file, socket,
// pipe) or memory (tests, the fuzzer).
#pragma once

#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace pvisor::snapshot {

class ByteSource {
  public:
    virtual ~ByteSource() = default;
    // Reads up to `out.size()` bytes; returns how many (fewer only at the end of the source).
    // Errc::system_error (errno set) on a failed read.
    [[nodiscard]] virtual Result<std::size_t> read(std::span<std::byte> out) = 0;
};

class ByteSink {
  public:
    virtual ~ByteSink() = default;
    // Writes all of `data`; Errc::system_error (errno set) on failure.
    [[nodiscard]] virtual Status write(std::span<const std::byte> data) = 0;
};

// Not owned: the caller keeps the fd open.
class FdSource final : public ByteSource {
  public:
    explicit FdSource(int fd) : m_fd(fd) {}
    [[nodiscard]] Result<std::size_t> read(std::span<std::byte> out) override;

  private:
    int m_fd;
};

class FdSink final : public ByteSink {
  public:
    explicit FdSink(int fd) : m_fd(fd) {}
    [[nodiscard]] Status write(std::span<const std::byte> data) override;

  private:
    int m_fd;
};

class MemorySource final : public ByteSource {
  public:
    explicit MemorySource(std::span<const std::byte> data) : m_data(data) {}
    [[nodiscard]] Result<std::size_t> read(std::span<std::byte> out) override;

  private:
    std::span<const std::byte> m_data;
    std::size_t m_pos = 0;
};

class MemorySink final : public ByteSink {
  public:
    [[nodiscard]] Status write(std::span<const std::byte> data) override;
    [[nodiscard]] std::vector<std::byte>& bytes() { return m_bytes; }

  private:
    std::vector<std::byte> m_bytes;
};

} // namespace pvisor::snapshot
