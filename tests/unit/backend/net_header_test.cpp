// net_header_test.cpp: pv/netif.h compiled alone as C++20, and its layout seen from C.
#include <gtest/gtest.h>
#include <pv/netif.h>
#include <pv/ring_ops.h>

extern "C" unsigned netif_c_tx_entry_size(void);
extern "C" unsigned netif_c_rx_entry_size(void);
extern "C" unsigned netif_c_extra_gso_offset(void);

TEST(NetifHeader, SameLayoutInCAndCxx) {
    EXPECT_EQ(netif_c_tx_entry_size(), sizeof(union netif_tx_sring_entry));
    EXPECT_EQ(netif_c_rx_entry_size(), sizeof(union netif_rx_sring_entry));
    EXPECT_EQ(netif_c_extra_gso_offset(), offsetof(netif_extra_info, u.gso.type));
    EXPECT_EQ(sizeof(netif_tx_request), 12U);
    EXPECT_EQ(sizeof(netif_extra_info), 8U);
    EXPECT_EQ(sizeof(netif_tx_response), 4U);
    EXPECT_EQ(sizeof(netif_rx_request), 8U);
    EXPECT_EQ(sizeof(netif_rx_response), 8U);
}

TEST(NetifHeader, RingGeometryAgreesWithTheRunTimeSizeRule) {
    EXPECT_EQ(pv_ring_entries(PV_RING_PAGE_SIZE, sizeof(union netif_tx_sring_entry)),
              PV_NETIF_TX_RING_SIZE);
    EXPECT_EQ(pv_ring_entries(PV_RING_PAGE_SIZE, sizeof(union netif_rx_sring_entry)),
              PV_NETIF_RX_RING_SIZE);
    EXPECT_EQ(PV_NETIF_TX_RING_SIZE, 256U);
}

TEST(NetifHeader, TxAndRxChecksumBitsAreSwapped) {
    EXPECT_EQ(NETTXF_csum_blank, 1U);
    EXPECT_EQ(NETTXF_data_validated, 2U);
    EXPECT_EQ(NETRXF_data_validated, 1U);
    EXPECT_EQ(NETRXF_csum_blank, 2U);
    EXPECT_EQ(NETTXF_more_data, NETRXF_more_data);
    EXPECT_EQ(NETTXF_extra_info, NETRXF_extra_info);
}
