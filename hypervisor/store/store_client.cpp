// store_client.cpp: request/reply over the store socket, watch events queued aside.
#include "store_client.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>

namespace pvisor::store {
namespace {

XsStatus ok_reply(const XsResult<std::string>& r) {
    if (!r)
        return r.error();
    return {};
}

std::string path_arg(std::string_view path) {
    std::string s(path);
    s += '\0';
    return s;
}

std::vector<std::string> split_nul(std::string_view s) {
    std::vector<std::string> out;
    while (!s.empty()) {
        const auto nul = s.find('\0');
        out.emplace_back(s.substr(0, nul));
        if (nul == std::string_view::npos)
            break;
        s.remove_prefix(nul + 1);
    }
    return out;
}

} // namespace

Result<StoreClient> StoreClient::connect(const std::string& socket_path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path)
        return Errc::invalid_argument;
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return Errc::system_error;
    // SAFETY: sockaddr_un is the sockaddr the kernel expects for AF_UNIX.
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) { // NOLINT
        switch (errno) {
        case ENOENT:
        case ENOTDIR:
            return Errc::not_found;
        case EACCES:
        case EPERM:
            return Errc::permission_denied;
        default:
            return Errc::io_error;
        }
    }
    return StoreClient(std::move(fd));
}

XsStatus StoreClient::send_all(std::string_view bytes) {
    while (!bytes.empty()) {
        const auto n = ::send(m_fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return XsErr::eio;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

XsResult<XsMessage> StoreClient::receive() {
    for (;;) {
        const std::size_t used = m_reader.feed(std::as_bytes(std::span(m_in)));
        m_in.erase(0, used);
        if (m_reader.broken())
            return XsErr::eio;
        if (m_reader.has_message())
            return m_reader.take();
        char buf[4096];
        const auto n = ::read(m_fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return XsErr::eio;
        m_in.append(buf, static_cast<std::size_t>(n));
    }
}

XsResult<std::string> StoreClient::request(std::uint32_t type, std::string_view payload,
                                           std::uint32_t tx_id) {
    if (payload.size() > XENSTORE_PAYLOAD_MAX)
        return XsErr::e2big;
    const std::uint32_t req_id = m_next_req++;
    std::string bytes;
    append_message(bytes, type, req_id, tx_id, payload);
    XS_TRY(send_all(bytes));
    for (;;) {
        auto msg = receive();
        XS_TRY(msg);
        if (msg->hdr.type == XS_WATCH_EVENT) {
            auto parts = split_nul(msg->payload);
            parts.resize(2);
            m_events.push_back(WatchEvent{parts[0], parts[1]});
            continue;
        }
        if (msg->hdr.req_id != req_id)
            continue; // a stray reply: not ours
        if (msg->hdr.type == XS_ERROR) {
            const auto name = std::string_view(msg->payload).substr(0, msg->payload.find('\0'));
            return xs_err_from_name(name).value_or(XsErr::eio);
        }
        return std::move(msg->payload);
    }
}

XsResult<std::string> StoreClient::read(std::string_view path, std::uint32_t tx) {
    return request(XS_READ, path_arg(path), tx);
}

XsStatus StoreClient::write(std::string_view path, std::string_view value, std::uint32_t tx) {
    std::string payload = path_arg(path);
    payload += value;
    return ok_reply(request(XS_WRITE, payload, tx));
}

XsStatus StoreClient::mkdir(std::string_view path, std::uint32_t tx) {
    return ok_reply(request(XS_MKDIR, path_arg(path), tx));
}

XsStatus StoreClient::rm(std::string_view path, std::uint32_t tx) {
    return ok_reply(request(XS_RM, path_arg(path), tx));
}

XsResult<std::vector<std::string>> StoreClient::directory(std::string_view path, std::uint32_t tx) {
    auto r = request(XS_DIRECTORY, path_arg(path), tx);
    XS_TRY(r);
    return split_nul(*r);
}

XsResult<std::vector<std::string>> StoreClient::get_perms(std::string_view path) {
    auto r = request(XS_GET_PERMS, path_arg(path));
    XS_TRY(r);
    return split_nul(*r);
}

XsStatus StoreClient::set_perms(std::string_view path, const std::vector<std::string>& perms) {
    std::string payload = path_arg(path);
    for (const auto& p : perms)
        payload += path_arg(p);
    return ok_reply(request(XS_SET_PERMS, payload));
}

XsStatus StoreClient::watch(std::string_view path, std::string_view token) {
    return ok_reply(request(XS_WATCH, path_arg(path) + path_arg(token)));
}

XsStatus StoreClient::unwatch(std::string_view path, std::string_view token) {
    return ok_reply(request(XS_UNWATCH, path_arg(path) + path_arg(token)));
}

XsResult<std::uint32_t> StoreClient::transaction_start() {
    auto r = request(XS_TRANSACTION_START, std::string_view("\0", 1));
    XS_TRY(r);
    return static_cast<std::uint32_t>(std::strtoul(r->c_str(), nullptr, 10));
}

XsStatus StoreClient::transaction_end(std::uint32_t tx, bool commit) {
    return ok_reply(request(XS_TRANSACTION_END,
                            commit ? std::string_view("T\0", 2) : std::string_view("F\0", 2), tx));
}

std::optional<WatchEvent> StoreClient::take_queued_event() {
    if (m_events.empty())
        return std::nullopt;
    WatchEvent ev = std::move(m_events.front());
    m_events.pop_front();
    return ev;
}

XsResult<WatchEvent> StoreClient::wait_event() {
    while (m_events.empty()) {
        auto msg = receive();
        XS_TRY(msg);
        if (msg->hdr.type != XS_WATCH_EVENT)
            continue;
        auto parts = split_nul(msg->payload);
        parts.resize(2);
        m_events.push_back(WatchEvent{parts[0], parts[1]});
    }
    WatchEvent ev = std::move(m_events.front());
    m_events.pop_front();
    return ev;
}

} // namespace pvisor::store
