/* net_netif_c.c: pv/netif.h compiled alone as C11 (its static asserts run at compile time). */
#include <pv/netif.h>

unsigned netif_c_tx_entry_size(void);
unsigned netif_c_rx_entry_size(void);
unsigned netif_c_extra_gso_offset(void);
unsigned netif_c_tx_entry_size(void) { return (unsigned)sizeof(union netif_tx_sring_entry); }
unsigned netif_c_rx_entry_size(void) { return (unsigned)sizeof(union netif_rx_sring_entry); }
unsigned netif_c_extra_gso_offset(void) {
    return (unsigned)offsetof(struct netif_extra_info, u.gso.type);
}
