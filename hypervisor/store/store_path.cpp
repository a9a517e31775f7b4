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

// As xenstored's watches: any name after '@' up to the relative path limit.
bool valid_special(std::string_view p) {
    return p.size() <= XENSTORE_REL_PATH_MAX;
}

// xenstored's length rule (is_valid_nodename): below "/local/domain/<id>/" (an id of up to
// five digits) the part after that prefix, elsewhere the whole path, is at most
// XENSTORE_REL_PATH_MAX bytes.
bool valid_length(std::string_view p) {
    constexpr std::string_view kLocal = "/local/domain/";
    std::size_t base = 0;
    if (p.starts_with(kLocal)) {
        std::size_t i = kLocal.size();
        while (i < p.size() && i - kLocal.size() < 5 && p[i] >= '0' && p[i] <= '9')
            ++i;
        if (i > kLocal.size() && i < p.size() && p[i] == '/')
            base = i + 1;
    }
    return p.size() - base <= XENSTORE_REL_PATH_MAX;
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
        if (!valid_length(path))
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
