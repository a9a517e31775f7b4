// control_client.cpp: control requests from the backend side, with every reply checked.
#include "control_client.hpp"

#include "control_protocol.hpp"
#include "seqpacket.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>

namespace pvisor::backend {

namespace {

struct Received {
    std::array<std::byte, ctl::kMaxMessage> buf{};
    std::size_t len = 0;
    std::vector<UniqueFd> fds;
};

Errc errno_errc(std::int32_t status) {
    switch (-status) {
    case EINVAL:
        return Errc::invalid_argument;
    case ENOTCONN:
        return Errc::protocol_error;
    case EISCONN:
        return Errc::busy;
    case EOPNOTSUPP:
        return Errc::not_supported;
    default:
        return Errc::io_error;
    }
}

template <typename Req>
Result<Received> exchange(int fd, const Req& req, ctl::Op op, std::int32_t& status) {
    PV_TRY(ctl::send_datagram(fd, std::span<const std::byte>(std::as_bytes(std::span(&req, 1)))));
    Received r;
    PV_TRY_ASSIGN(d, ctl::recv_datagram(fd, r.buf));
    if (d.len < sizeof(ctl::Reply) || d.truncated)
        return Errc::protocol_error; // pvisor closed or answered garbage
    ctl::Reply head;
    std::memcpy(&head, r.buf.data(), sizeof head);
    if (head.hdr.magic != ctl::kMagic || head.hdr.len != d.len || head.hdr.seq != req.hdr.seq ||
        head.hdr.op != (static_cast<std::uint16_t>(op) | ctl::kReplyFlag) ||
        head.nfds != d.fds.size())
        return Errc::protocol_error;
    status = head.status;
    if (head.status != 0)
        return errno_errc(head.status);
    r.len = d.len;
    r.fds = std::move(d.fds);
    return r;
}

template <typename T>
Result<T> body(const Received& r) {
    if (r.len != sizeof(T))
        return Errc::protocol_error;
    T v;
    std::memcpy(&v, r.buf.data(), sizeof v);
    return v;
}

} // namespace

Result<ControlClient> ControlClient::connect(const std::string& path) {
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return Errc::invalid_argument;
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return Errc::system_error;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return errno == ENOENT   ? Errc::not_found
               : errno == EACCES ? Errc::permission_denied
                                 : Errc::io_error;
    return ControlClient(std::move(fd));
}

Result<Attachment> ControlClient::attach(const std::string& device) {
    ctl::AttachRequest req{};
    if (device.size() >= sizeof req.device)
        return Errc::invalid_argument;
    req.hdr = ctl::request_header(ctl::Op::attach, m_seq++, sizeof req);
    std::memcpy(req.device, device.c_str(), device.size());
    PV_TRY_ASSIGN(r, exchange(m_fd.get(), req, ctl::Op::attach, m_last_status));
    PV_TRY_ASSIGN(a, body<ctl::AttachReply>(r));
    if (r.fds.size() != 1 || std::memchr(a.store_socket, 0, sizeof a.store_socket) == nullptr)
        return Errc::protocol_error;
    PV_TRY_ASSIGN(mem, GuestMemory::from_memfd(std::move(r.fds.front()), a.ram_bytes, a.extra_gpa,
                                               a.extra_pages));
    return Attachment{std::move(mem), a.domid, std::string(a.store_socket)};
}

Result<std::vector<std::uint64_t>> ControlClient::grant_frames() {
    ctl::GrantFramesRequest req{ctl::request_header(ctl::Op::grant_frames, m_seq++, sizeof req)};
    PV_TRY_ASSIGN(r, exchange(m_fd.get(), req, ctl::Op::grant_frames, m_last_status));
    PV_TRY_ASSIGN(g, body<ctl::GrantFramesReply>(r));
    if (g.nr_frames > ctl::kMaxGrantFrames)
        return Errc::protocol_error;
    return std::vector<std::uint64_t>(g.gpas, g.gpas + g.nr_frames);
}

Result<BoundPort> ControlClient::bind(std::uint32_t port) {
    ctl::PortRequest req{ctl::request_header(ctl::Op::bind, m_seq++, sizeof req), port, 0};
    PV_TRY_ASSIGN(r, exchange(m_fd.get(), req, ctl::Op::bind, m_last_status));
    PV_TRY_ASSIGN(b, body<ctl::BindReply>(r));
    if (r.fds.size() != 2 || b.port != port)
        return Errc::protocol_error;
    return BoundPort{port, std::move(r.fds[0]), std::move(r.fds[1])};
}

Status ControlClient::unbind(std::uint32_t port) {
    ctl::PortRequest req{ctl::request_header(ctl::Op::unbind, m_seq++, sizeof req), port, 0};
    PV_TRY_ASSIGN(r, exchange(m_fd.get(), req, ctl::Op::unbind, m_last_status));
    return body<ctl::Reply>(r).ok() ? Status{} : Status{Errc::protocol_error};
}

Result<PinJournal> ControlClient::pin_journal() {
    static_assert(PinJournal::kBitsPerRef == ctl::kPinJournalBitsPerRef);
    static_assert(PinJournal::bytes_for(ctl::kPinJournalEntries) == ctl::kPinJournalBytes);
    ctl::PinJournalRequest req{ctl::request_header(ctl::Op::pin_journal, m_seq++, sizeof req)};
    PV_TRY_ASSIGN(r, exchange(m_fd.get(), req, ctl::Op::pin_journal, m_last_status));
    PV_TRY_ASSIGN(j, body<ctl::PinJournalReply>(r));
    if (r.fds.size() != 1 || j.bits_per_ref != PinJournal::kBitsPerRef ||
        j.bytes != PinJournal::bytes_for(j.nr_entries))
        return Errc::protocol_error;
    auto journal = PinJournal::map(std::move(r.fds.front()), j.nr_entries);
    if (!journal.ok() && journal.error() == Errc::invalid_argument)
        return Errc::protocol_error;
    return journal;
}

} // namespace pvisor::backend
