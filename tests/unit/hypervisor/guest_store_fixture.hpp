// guest_store_fixture.hpp: a config store with the guest (domain 1) introduced and a
// connection for each side, for the tests of the device nodes `pvisor run` writes.
#pragma once

#include "store.hpp"

#include <gtest/gtest.h>
#include <string>

namespace pvisor {

class GuestStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(s.introduce_domain(1, "guest").ok());
        dom0 = s.connect(0);
        guest = s.connect(1);
    }
    // The node's value as connection `c` reads it, or "<ERRNO NAME>".
    std::string read(store::ConnId c, const std::string& path) {
        auto v = s.read(c, 0, path);
        return v.ok() ? *v : "<" + std::string(store::xs_err_name(v.error())) + ">";
    }
    store::Store s;
    store::ConnId dom0 = 0, guest = 0;
};

} // namespace pvisor
