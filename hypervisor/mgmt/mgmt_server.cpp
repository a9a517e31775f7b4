// mgmt_server.cpp: accepts clients, frames request lines, answers each in order.
#include "mgmt_server.hpp"

#include "unix_listener.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace pvisor::mgmt {

Result<std::unique_ptr<Server>> Server::create(std::string socket_path, Target& target) {
    std::unique_ptr<Server> s(new Server(std::move(socket_path), target));
    PV_TRY_ASSIGN(listen_fd, listen_unix(s->m_path, SOCK_STREAM));
    s->m_listen = std::move(listen_fd);
    PV_TRY_ASSIGN(loop, EventLoop::create());
    s->m_loop = std::move(loop);
    Server* self = s.get();
    PV_TRY(s->m_loop->watch(s->m_listen.get(), [self] { self->on_accept(); }));
    PV_TRY(s->m_loop->start());
    return s;
}

Server::~Server() {
    if (m_loop)
        m_loop->stop();
    m_clients.clear(); // the loop thread is gone
    if (m_listen.valid())
        ::unlink(m_path.c_str());
}

void Server::on_accept() {
    for (;;) {
        UniqueFd fd(::accept4(m_listen.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (!fd.valid())
            return;
        if (m_clients.size() >= kMaxClients) {
            const std::string r = reply_error({Code::busy, "too many management clients (" +
                                                               std::to_string(kMaxClients) + ")"});
            (void)!::send(fd.get(), r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            continue;
        }
        const int raw = fd.get();
        auto c = std::make_unique<Client>();
        c->sock = std::move(fd);
        m_clients[raw] = std::move(c);
        if (!m_loop->watch(raw, [this, raw] { on_client(raw); }).ok())
            m_clients.erase(raw);
    }
}

void Server::close_client(int fd) {
    m_loop->unwatch(fd);
    m_clients.erase(fd);
}

bool Server::flush(Client& c) {
    while (!c.out.empty()) {
        const ssize_t n = ::send(c.sock.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (n <= 0)
            return false;
        c.out.erase(0, static_cast<std::size_t>(n));
    }
    return true;
}

// Reading stops while a client leaves too many replies unread; writing waits for room.
void Server::update_events(int fd, const Client& c) {
    std::uint32_t ev = 0;
    if (!c.closing && c.out.size() < kMaxPendingReplies)
        ev |= EPOLLIN;
    if (!c.out.empty())
        ev |= EPOLLOUT;
    (void)m_loop->set_events(fd, ev).ok();
}

void Server::on_client(int fd) {
    auto it = m_clients.find(fd);
    if (it == m_clients.end())
        return;
    Client& c = *it->second;
    if (!flush(c) || (c.closing && c.out.empty()))
        return close_client(fd);
    while (!c.closing && c.out.size() < kMaxPendingReplies) {
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return close_client(fd); // EOF: unanswered bytes without a newline are dropped
        c.in.append(buf, static_cast<std::size_t>(n));
        serve_lines(c);
    }
    if (!flush(c) || (c.closing && c.out.empty()))
        return close_client(fd);
    update_events(fd, c);
}

// Answers every complete line in c.in; a partial line longer than kMaxLine ends the client.
void Server::serve_lines(Client& c) {
    std::size_t start = 0;
    for (;;) {
        const std::size_t nl = c.in.find('\n', start);
        if (nl == std::string::npos)
            break;
        answer(c, std::string_view(c.in).substr(start, nl - start));
        start = nl + 1;
        if (c.closing)
            break;
    }
    c.in.erase(0, start);
    if (!c.closing && c.in.size() > kMaxLine) {
        c.out += reply_error({Code::bad_request,
                              "request line longer than " + std::to_string(kMaxLine) + " bytes"});
        c.closing = true;
    }
    if (c.closing)
        c.in.clear();
}

void Server::answer(Client& c, std::string_view line) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos)
        return; // blank lines are no requests
    Error error;
    auto req = parse_request(line, error);
    if (!req.ok()) {
        c.out += reply_error(error);
        c.closing = line.size() > kMaxLine;
        return;
    }
    switch (req->op) {
    case Op::pause: m_target.pause(); break;
    case Op::unpause: m_target.unpause(); break;
    case Op::info: c.out += reply_info(m_target.info()); return;
    case Op::vcpu_pin:
        if (auto e = m_target.pin_vcpu(req->vcpu, req->cpus)) {
            c.out += reply_error(*e);
            return;
        }
        break;
    case Op::destroy:
        c.out += reply_ok();
        (void)flush(c);
        m_target.destroy();
        return;
    case Op::save: {
        Saved saved;
        if (auto e = m_target.save(*req, saved)) {
            c.out += reply_error(*e);
            return;
        }
        c.out += reply_saved(saved);
        if (!req->keep_running) {
            (void)flush(c);
            m_target.saved_exit(req->path);
        }
        return;
    }
    }
    c.out += reply_ok();
}

} // namespace pvisor::mgmt
