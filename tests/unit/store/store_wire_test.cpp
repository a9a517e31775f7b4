// store_wire_test.cpp: pv/xs_wire.h alone as C++ and as C agrees with Xen's tables.
#include "pv/xs_wire.h"
#include "store_error.hpp"

#include <gtest/gtest.h>
#include <string>

extern "C" const char* pv_xs_wire_c_error_name(unsigned i);
extern "C" unsigned pv_xs_wire_c_interface_size(void);

namespace pvisor::store {
namespace {

TEST(XsWire, ErrorTableIsXensOrderInCAndCpp) {
    const char* xen[] = {"EINVAL", "EACCES",  "EEXIST",    "EISDIR", "ENOENT", "ENOMEM",
                         "ENOSPC", "EIO",     "ENOTEMPTY", "ENOSYS", "EROFS",  "EBUSY",
                         "EAGAIN", "EISCONN", "E2BIG",     "EPERM"};
    static_assert(sizeof xen / sizeof xen[0] == XS_ERROR_COUNT);
    for (unsigned i = 0; i < XS_ERROR_COUNT; ++i) {
        EXPECT_STREQ(pv_xs_wire_c_error_name(i), xen[i]);
        EXPECT_EQ(xs_err_name(static_cast<XsErr>(i)), xen[i]);
        EXPECT_EQ(xs_err_from_name(xen[i]), static_cast<XsErr>(i));
    }
    EXPECT_EQ(pv_xs_wire_c_error_name(XS_ERROR_COUNT), nullptr);
    EXPECT_FALSE(xs_err_from_name("ENOTREAL").has_value());
}

TEST(XsWire, LayoutAgreesBetweenCAndCpp) {
    EXPECT_EQ(pv_xs_wire_c_interface_size(), sizeof(xenstore_domain_interface));
    EXPECT_EQ(sizeof(xenstore_domain_interface), 2080U);
    EXPECT_EQ(sizeof(xsd_sockmsg), 16U);
    EXPECT_EQ(MASK_XENSTORE_IDX(0xFFFFFFFFU), 1023U);
}

} // namespace
} // namespace pvisor::store
