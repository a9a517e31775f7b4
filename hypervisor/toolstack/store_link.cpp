// store_link.cpp: ATTACH + STORE_RING on a VMM's control socket, and the page mapping.
#include "store_link.hpp"

#include "control_protocol.hpp"
#include "seqpacket.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace pvisor::toolstack {
namespace {

// One request, its reply copied into `reply` (exactly its size), the fds it carried.
template <typename Req, typename Rep>
Result<std::vector<UniqueFd>> call(int sock, const Req& req, Rep& reply, std::string& why) {
    // SAFETY: control_wire structs are trivially copyable and have explicit padding.
    const auto* bytes = reinterpret_cast<const std::byte*>(&req); // NOLINT
    if (!ctl::send_datagram(sock, std::span(bytes, sizeof req)).ok()) {
        why = "the VMM closed its control socket";
        return Errc::io_error;
    }
    alignas(8) std::array<std::byte, ctl::kMaxMessage> buf{};
    auto d = ctl::recv_datagram(sock, buf);
    if (!d.ok() || d->len < sizeof(ctl::Reply)) {
        why = "no reply from the VMM";
        return Errc::io_error;
    }
    ctl::Reply head{};
    std::memcpy(&head, buf.data(), sizeof head);
    if (head.status != 0) {
        why = std::string("refused: ") + std::strerror(-head.status);
        return Errc::io_error;
    }
    if (d->len != sizeof(Rep) || d->fds.size() != head.nfds) {
        why = "malformed reply from the VMM";
        return Errc::protocol_error;
    }
    std::memcpy(&reply, buf.data(), sizeof reply);
    return std::move(d->fds);
}

} // namespace

void StoreLink::raise() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(m_raise.get(), &one, sizeof one);
}

Result<StoreLink> StoreLink::take(const std::string& ctl_path, std::string& why) {
    StoreLink link;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (ctl_path.size() >= sizeof addr.sun_path) {
        why = "control socket path too long";
        return Errc::invalid_argument;
    }
    std::memcpy(addr.sun_path, ctl_path.c_str(), ctl_path.size() + 1);
    link.m_sock.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    // SAFETY: sockaddr_un is what AF_UNIX connect expects.
    if (!link.m_sock.valid() ||
        ::connect(link.m_sock.get(), reinterpret_cast<const sockaddr*>(&addr), // NOLINT
                  sizeof addr) != 0) {
        why = ctl_path + ": " + std::strerror(errno);
        return Errc::not_found;
    }
    ctl::AttachRequest attach{};
    attach.hdr = ctl::request_header(ctl::Op::attach, 1, sizeof attach);
    ctl::AttachReply a{};
    PV_TRY_ASSIGN(memfds, call(link.m_sock.get(), attach, a, why));
    if (memfds.size() != 1 || a.nr_regions > ctl::kMaxRegions) {
        why = "malformed attach reply";
        return Errc::protocol_error;
    }
    ctl::StoreRingRequest sr{};
    sr.hdr = ctl::request_header(ctl::Op::store_ring, 2, sizeof sr);
    ctl::StoreRingReply r{};
    PV_TRY_ASSIGN(fds, call(link.m_sock.get(), sr, r, why));
    if (fds.size() != 2 || r.page_gpa % 4096 != 0) {
        why = "malformed store ring reply";
        return Errc::protocol_error;
    }
    // The page lies in one of the regions ATTACH described (the special pages).
    for (std::uint32_t i = 0; i < a.nr_regions; ++i) {
        const ctl::Region& g = a.regions[i];
        if (r.page_gpa < g.gpa || r.page_gpa + 4096 > g.gpa + g.size)
            continue;
        const auto off = static_cast<off_t>(g.memfd_offset + (r.page_gpa - g.gpa));
        void* p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, memfds[0].get(), off);
        if (p == MAP_FAILED) {
            why = std::string("mmap of the store page: ") + std::strerror(errno);
            return Errc::system_error;
        }
        link.m_page = Mapping(p, 4096);
        break;
    }
    if (link.m_page.get() == nullptr) {
        why = "the store page is in no region the VMM described";
        return Errc::protocol_error;
    }
    link.m_notify = std::move(fds[0]);
    link.m_raise = std::move(fds[1]);
    link.m_port = r.port;
    link.m_domid = a.domid;
    return link;
}

} // namespace pvisor::toolstack
