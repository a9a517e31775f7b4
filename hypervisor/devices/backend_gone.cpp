// backend_gone.cpp: the guarded state write for a backend that went away.
#include "backend_gone.hpp"

#include <pv/xen.h>
#include <pv/xs_wire.h>

namespace pvisor {

store::XsStatus write_backend_gone(store::Store& s, const std::string& path,
                                   const std::string& value) {
    const store::ConnId c = s.connect(PV_DOMID_HOST);
    auto now = s.read(c, 0, path);
    store::XsStatus st = now.ok() ? store::XsStatus() : store::XsStatus(now.error());
    if (st.ok() && *now == std::to_string(XenbusStateClosed))
        st = store::XsErr::eexist;
    if (st.ok())
        st = s.write(c, 0, path, value);
    s.disconnect(c);
    return st;
}

} // namespace pvisor
