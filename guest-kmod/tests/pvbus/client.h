/* client.h: a plain C view of pvcore's store client for the C++ test (no kernel types). */
#ifndef PVBUS_TEST_CLIENT_H
#define PVBUS_TEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TC_STORE_PORT 5U

/* The store page and the hook run on each guest notification (the server's doorbell). */
void tc_setup(void *page, void (*notify)(void));
/* The store's notification to the guest: runs pvcore's store irq handler. */
void tc_irq(void);
/* Marks the calling thread as killed: its waits end with -EINTR. */
void tc_set_killed(int killed);

/* pvcore's bring-up and teardown of the client (ring + watch thread). */
int tc_start(void);
void tc_stop(void);

/* The pvbus_* calls; values and names are copied into buf (names separated by '\n'). */
int tc_read(uint32_t tx, const char *path, char *buf, size_t cap);
int tc_write(uint32_t tx, const char *path, const char *value);
int tc_directory(const char *path, char *buf, size_t cap);
int tc_tx_start(uint32_t *tx);
int tc_tx_end(uint32_t tx, bool abort);
/* One watch at a time; tc_watch_events counts events whose path equals the watched path. */
int tc_watch(const char *path);
void tc_unwatch(void);
int tc_watch_events(void);

/* control.c over this client: the orderly calls it made, and the kernel's state it sees. */
void tc_control_init(void);
void tc_control_exit(void);
/* SYSTEM_* of enum system_states (kshim.h): 0 booting, 3 running, 5 power off. */
#define TC_SYSTEM_BOOTING 0
#define TC_SYSTEM_RUNNING 3
#define TC_SYSTEM_POWER_OFF 5
void tc_set_system_state(int state);
/* orderly_poweroff calls (*forced: the last one's force), orderly_reboot calls. */
int tc_poweroffs(bool *forced);
int tc_reboots(void);
/* Counts to 0, state running. */
void tc_reset_calls(void);

#ifdef __cplusplus
}
#endif

#endif /* PVBUS_TEST_CLIENT_H */
