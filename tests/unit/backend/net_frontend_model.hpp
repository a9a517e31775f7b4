// net_frontend_model.hpp: a userspace netif frontend (tx/rx rings, page pools) over FakeGuest.
#pragma once

#include "frontend_model.hpp"

#include <cstdint>
#include <optional>
#include <pv/netif.h>
#include <pv/ring_ops.h>
#include <span>
#include <vector>

namespace pvisor::backend::testing {

// How send() lays a frame out in tx slots.
struct TxLayout {
    std::uint32_t piece = 4096;          // bytes per slot (last slot: the rest)
    std::uint16_t first_offset = 0;      // where slot 0's piece starts in its page
    std::uint16_t flags = 0;             // NETTXF_csum_blank / NETTXF_data_validated on slot 0
    std::optional<netif_extra_info> gso; // a GSO extra slot after slot 0
    bool copy = true; // false: the pool pages already hold the frame (benchmarks)
};

// A received packet reassembled from rx responses.
struct RxPacket {
    std::vector<std::byte> data;
    std::uint16_t flags = 0; // slot 0's NETRXF_*
    std::optional<netif_extra_info> extra;
    bool error = false; // a response with a negative status
};

// The frontend of one netif queue living in a FakeGuest: both ring pages, a pool of tx pages
// (granted read-only) and a pool of rx pages (granted writable); a slot's request id is its
// pool page's index, so responses free pages by id. Hostile tests write raw slots instead.
class NetFront {
  public:
    explicit NetFront(FakeGuest& guest, std::uint32_t tx_pages = 128, std::uint32_t rx_pages = 128);

    [[nodiscard]] pv_grant_ref tx_ring_ref() const { return m_tx_ref; }
    [[nodiscard]] pv_grant_ref rx_ring_ref() const { return m_rx_ref; }

    // Guest tx: writes the frame into pool pages and produces its slots privately.
    // False if not enough free pages or ring slots.
    bool send(std::span<const std::byte> frame, const TxLayout& layout = {});
    // Writes `frame` at offset 0 of every tx pool page (for send() with copy = false).
    void fill_tx_pool(std::span<const std::byte> frame);
    // Raw tx slots (hostile tests): a request or an extra, produced privately.
    void put_tx(const netif_tx_request& r);
    void put_extra(const netif_extra_info& e);
    // Publishes produced tx slots; true if the backend asked for a notification.
    bool push_tx();
    // Takes every published tx response (re-arming rsp_event when none is left); frees the
    // pool pages they name.
    std::vector<netif_tx_response> take_tx();
    [[nodiscard]] std::uint32_t tx_free_slots() const { return pv_front_free_slots(&m_tx); }

    // Guest rx: posts `n` pool pages (or as many as are free) and publishes them; *notify
    // (if given) says whether the backend asked to be notified.
    std::uint32_t post_rx(std::uint32_t n, bool* notify = nullptr);
    // Posts a raw rx request (hostile tests).
    void put_rx(const netif_rx_request& r);
    bool push_rx();
    // Takes published rx responses and reassembles packets; returns them.
    std::vector<RxPacket> take_rx();

    // Hostile: publishes an arbitrary producer index.
    void set_tx_req_prod(std::uint32_t v);
    void set_rx_req_prod(std::uint32_t v);
    [[nodiscard]] std::uint64_t tx_page_gpa(std::uint32_t i) const { return m_tx_pool[i]; }
    [[nodiscard]] std::uint64_t rx_page_gpa(std::uint32_t i) const { return m_rx_pool[i]; }
    [[nodiscard]] std::uint32_t rx_pages() const {
        return static_cast<std::uint32_t>(m_rx_pool.size());
    }
    [[nodiscard]] bool tx_broken() const { return m_tx.broken != 0; }
    [[nodiscard]] bool rx_broken() const { return m_rx.broken != 0; }

  private:
    FakeGuest* m_guest;
    pv_front_ring m_tx{};
    pv_front_ring m_rx{};
    pv_grant_ref m_tx_ref = 0;
    pv_grant_ref m_rx_ref = 0;
    std::vector<std::uint64_t> m_tx_pool, m_rx_pool; // page GPAs by index (= request id)
    std::vector<pv_grant_ref> m_tx_grefs, m_rx_grefs;
    std::vector<std::uint16_t> m_tx_free, m_rx_free;
    std::vector<bool> m_tx_busy, m_rx_busy;
    std::optional<RxPacket> m_partial; // packet whose more_data chain is still open
    bool m_expect_extra = false;
    bool m_more = false;
};

} // namespace pvisor::backend::testing
