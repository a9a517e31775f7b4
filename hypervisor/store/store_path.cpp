// store_path.cpp: path rules from pv/xs_wire.h ("Limits").
#include "store_path.hpp"

#include "pv/xs_wire.h"

namespace pvisor::store {
namespace {

bool valid_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '/' || c == '_' || c == '@';
}

// Characters, no "//", no trailing '/' (the root "/" aside).
bool valid_shape(std::string_view p) {
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (!valid_char(p[i]))
            return false;
        if (p[i] == '/' && i + 1 < p.size() && p[i + 1] == '/')
            return false;
    }
    return p == "/" || p.back() != '/';
}

bool valid_special(std::string_view p) {
    return p.size() > 1 && p.size() <= XENSTORE_ABS_PATH_MAX && valid_shape(p) &&
           p.find('/') == std::string_view::npos;
}

} // namespace

std::string domain_path(DomId domid) {
    return "/local/domain/" + std::to_string(domid);
}

XsResult<ResolvedPath> resolve_path(std::string_view path, DomId domid, bool allow_special) {
    if (path.empty())
        return XsErr::einval;
    if (path.front() == '@') {
        if (!allow_special || !valid_special(path))
            return XsErr::einval;
        return ResolvedPath{std::string(path), false};
    }
    if (!valid_shape(path))
        return XsErr::einval;
    if (path.front() == '/') {
        if (path.size() > XENSTORE_ABS_PATH_MAX)
            return XsErr::einval;
        return ResolvedPath{std::string(path), false};
    }
    if (path.size() > XENSTORE_REL_PATH_MAX)
        return XsErr::einval;
    std::string abs = domain_path(domid);
    abs += '/';
    abs += path;
    if (abs.size() > XENSTORE_ABS_PATH_MAX)
        return XsErr::einval;
    return ResolvedPath{std::move(abs), true};
}

std::string_view parent_path(std::string_view abs) {
    const auto slash = abs.rfind('/');
    return slash == 0 ? std::string_view("/") : abs.substr(0, slash);
}

std::string_view base_name(std::string_view abs) {
    return abs.substr(abs.rfind('/') + 1);
}

bool is_at_or_below(std::string_view path, std::string_view ancestor) {
    if (ancestor == "/")
        return path.starts_with('/');
    return path.starts_with(ancestor) &&
           (path.size() == ancestor.size() || path[ancestor.size()] == '/');
}

std::string relative_to_domain(std::string_view abs, DomId domid) {
    const std::string prefix = domain_path(domid) + "/";
    if (abs.starts_with(prefix) && abs.size() > prefix.size())
        return std::string(abs.substr(prefix.size()));
    return std::string(abs);
}

} // namespace pvisor::store
