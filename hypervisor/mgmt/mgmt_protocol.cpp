// mgmt_protocol.cpp: management request parsing (exceptions off: every type is checked
// before it is read) and reply formatting.
#include "mgmt_protocol.hpp"

// GCC's -Wnull-dereference sees null iterators in nlohmann's inlined code (false positives).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <nlohmann/json.hpp>
#pragma GCC diagnostic pop

#include <charconv>

namespace pvisor::mgmt {
namespace {

using json = nlohmann::json;
using ordered = nlohmann::ordered_json; // replies keep "ok" first

constexpr std::size_t kMaxEchoedOp = 64; // bytes of an unknown op quoted back

Result<Request> refuse(Error& error, Code code, std::string message) {
    error.code = code;
    error.message = std::move(message);
    return Errc::invalid_argument;
}

// Invalid UTF-8 (a cut multi-byte character) becomes U+FFFD instead of aborting.
std::string dump_line(const ordered& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace) + '\n';
}

Result<Request> parse_pin(const json& j, Request req, Error& error) {
    const auto vcpu = j.find("vcpu");
    if (vcpu == j.end() || !vcpu->is_number_unsigned())
        return refuse(error, Code::bad_request, "vcpu-pin: \"vcpu\" must be a non-negative integer");
    const auto cpus = j.find("cpus");
    if (cpus == j.end() || !cpus->is_array())
        return refuse(error, Code::bad_request, "vcpu-pin: \"cpus\" must be an array of CPU numbers");
    if (cpus->empty())
        return refuse(error, Code::invalid_argument, "vcpu-pin: \"cpus\" is empty");
    if (cpus->size() > kMaxPinCpus)
        return refuse(error, Code::invalid_argument,
                      "vcpu-pin: \"cpus\" has more than " + std::to_string(kMaxPinCpus) + " entries");
    req.vcpu = vcpu->get<std::uint64_t>();
    for (std::size_t i = 0; i < cpus->size(); ++i) {
        const json& c = (*cpus)[i];
        if (!c.is_number_unsigned())
            return refuse(error, Code::bad_request,
                          "vcpu-pin: cpus[" + std::to_string(i) + "] must be a non-negative integer");
        req.cpus.push_back(c.get<std::uint64_t>());
    }
    return req;
}

Result<Request> parse_save(const json& j, Request req, Error& error) {
    const auto path = j.find("path");
    if (path == j.end() || !path->is_string())
        return refuse(error, Code::bad_request, "save: \"path\" must be a string");
    req.path = path->get<std::string>();
    if (req.path.empty() || req.path[0] != '/' || req.path.size() > kMaxPath ||
        req.path.find('\0') != std::string::npos)
        return refuse(error, Code::invalid_argument,
                      "save: \"path\" must be an absolute path of at most " +
                          std::to_string(kMaxPath) + " bytes");
    for (const char* key : {"keep_running", "paused"}) {
        const auto v = j.find(key);
        if (v == j.end())
            continue;
        if (!v->is_boolean())
            return refuse(error, Code::bad_request,
                          std::string("save: \"") + key + "\" must be true or false");
        (std::string_view(key) == "paused" ? req.leave_paused : req.keep_running) = v->get<bool>();
    }
    return req;
}

} // namespace

const char* code_name(Code c) noexcept {
    switch (c) {
    case Code::bad_request: return "bad_request";
    case Code::unknown_op: return "unknown_op";
    case Code::invalid_argument: return "invalid_argument";
    case Code::busy: return "busy";
    case Code::failed: return "failed";
    }
    return "bad_request";
}

Result<Request> parse_request(std::string_view line, Error& error) {
    if (line.size() > kMaxLine)
        return refuse(error, Code::bad_request,
                      "request line longer than " + std::to_string(kMaxLine) + " bytes");
    const json j = json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded())
        return refuse(error, Code::bad_request, "request is not valid JSON");
    if (!j.is_object())
        return refuse(error, Code::bad_request, "request must be a JSON object");
    const auto op = j.find("op");
    if (op == j.end())
        return refuse(error, Code::bad_request, "request has no \"op\"");
    if (!op->is_string())
        return refuse(error, Code::bad_request, "\"op\" must be a string");
    const std::string& name = op->get_ref<const std::string&>();
    Request req;
    if (name == "pause") {
        req.op = Op::pause;
    } else if (name == "unpause") {
        req.op = Op::unpause;
    } else if (name == "info") {
        req.op = Op::info;
    } else if (name == "destroy") {
        req.op = Op::destroy;
    } else if (name == "save") {
        req.op = Op::save;
        return parse_save(j, std::move(req), error);
    } else if (name == "vcpu-pin") {
        req.op = Op::vcpu_pin;
        return parse_pin(j, std::move(req), error);
    } else {
        const std::string shown = name.size() > kMaxEchoedOp ? name.substr(0, kMaxEchoedOp) + "..." : name;
        return refuse(error, Code::unknown_op,
                      "unknown op " + ordered(shown).dump(-1, ' ', false, json::error_handler_t::replace));
    }
    return req;
}

std::string reply_ok() { return "{\"ok\":true}\n"; }

std::string reply_error(const Error& error) {
    ordered e;
    e["code"] = code_name(error.code);
    e["message"] = error.message;
    ordered r;
    r["ok"] = false;
    r["error"] = std::move(e);
    return dump_line(r);
}

std::string reply_saved(const Saved& saved) {
    ordered r;
    r["ok"] = true;
    r["bytes"] = saved.bytes;
    r["pages"] = saved.pages;
    r["zero_pages"] = saved.zero_pages;
    r["ms"] = saved.ms;
    return dump_line(r);
}

std::string reply_info(const Info& info) {
    ordered r;
    r["ok"] = true;
    r["state"] = info.paused ? "paused" : "running";
    r["domid"] = info.domid;
    r["name"] = info.name;
    ordered vcpus = ordered::array();
    for (const VcpuInfo& v : info.vcpus) {
        ordered o;
        o["id"] = v.id;
        o["exits"] = v.exits;
        o["cpu_ns"] = v.cpu_ns;
        o["tid"] = v.tid;
        o["affinity"] = v.affinity;
        vcpus.push_back(std::move(o));
    }
    r["vcpus"] = std::move(vcpus);
    r["rss_kb"] = info.rss_kb;
    r["memory_bytes"] = info.memory_bytes;
    // "name value" lines become numbers; a line that is not one is left out.
    ordered counters = ordered::object();
    std::string_view rest = info.counters;
    while (!rest.empty()) {
        const std::size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        const std::size_t sp = line.find(' ');
        if (sp == std::string_view::npos || sp == 0)
            continue;
        std::uint64_t value = 0;
        const char* end = line.data() + line.size();
        auto [ptr, ec] = std::from_chars(line.data() + sp + 1, end, value);
        if (ec == std::errc{} && ptr == end)
            counters[std::string(line.substr(0, sp))] = value;
    }
    r["counters"] = std::move(counters);
    return dump_line(r);
}

} // namespace pvisor::mgmt
