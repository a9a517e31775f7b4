// balloon.hpp: the domain's reservation: which guest RAM frames it gave back to the host
// (decrease_reservation) and may take back (populate_physmap), never more than it started with.
#pragma once

#include "guest_memory.hpp"
#include "result.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace pvisor {

// Why a frame of a reservation batch was refused (the batch stops there).
enum class BalloonRefusal : std::uint8_t {
    not_ram,     // outside guest RAM (pvisor's special pages, the MMIO hole, beyond RAM)
    in_use,      // a frame pvisor itself uses (shared_info, a grant table frame)
    already_out, // decrease of a frame already given back
    not_out,     // populate of a frame the guest never gave back (it would exceed its RAM)
    discard,     // the host could not punch the frame out of the memfd
};
inline constexpr std::size_t kBalloonRefusalCount = 5;

// Every RAM frame starts present. decrease() punches a present frame out of the guest-memory
// memfd (the host frees it; KVM and every backend mapping see the hole) and marks it out;
// populate() punches it again (so whatever touched it meanwhile is freed and it reads as
// zeros) and marks it present. So the frames present never exceed the RAM the domain was
// created with. Thread-safe: vCPU threads call it concurrently.
class Balloon {
  public:
    explicit Balloon(const GuestMemory& mem);

    // Errc::invalid_argument (not RAM), exists (already out), system_error (punch failed).
    [[nodiscard]] Status decrease(std::uint64_t gfn);
    // Errc::invalid_argument (not RAM), not_found (not out), system_error (punch failed).
    [[nodiscard]] Status populate(std::uint64_t gfn);
    [[nodiscard]] bool is_out(std::uint64_t gfn) const;
    // Save/restore: the frames given back, ascending. restore_out() marks them out again on a
    // fresh balloon (their pages were never written into the new memfd, so they are holes):
    // Errc::invalid_argument for a frame that is not RAM, or listed twice.
    [[nodiscard]] std::vector<std::uint64_t> out_frames() const;
    [[nodiscard]] Status restore_out(const std::vector<std::uint64_t>& gfns);

    void refuse(BalloonRefusal why) { m_refused[static_cast<std::size_t>(why)].fetch_add(1); }

    // Frames given back now; frames given back and taken back since creation.
    [[nodiscard]] std::uint64_t pages_out() const { return m_out.load(); }
    [[nodiscard]] std::uint64_t decreased() const { return m_decreased.load(); }
    [[nodiscard]] std::uint64_t populated() const { return m_populated.load(); }
    [[nodiscard]] std::uint64_t refused(BalloonRefusal why) const {
        return m_refused[static_cast<std::size_t>(why)].load();
    }

  private:
    [[nodiscard]] bool test(std::uint64_t gfn) const {
        return (m_bits[gfn / 64] >> (gfn % 64)) & 1U;
    }

    const GuestMemory& m_mem;
    mutable std::mutex m_lock;
    std::vector<std::uint64_t> m_bits; // one bit per guest frame below the end of RAM: out
    std::atomic<std::uint64_t> m_out{0};
    std::atomic<std::uint64_t> m_decreased{0};
    std::atomic<std::uint64_t> m_populated{0};
    std::atomic<std::uint64_t> m_refused[kBalloonRefusalCount]{};
};

} // namespace pvisor
