/* client.c: the test's C view of pvbus_{read,write,directory,transaction_*,watch_path}. */
#include "kshim.h"

#include "client.h"

#include "internal.h"
#include "pvbus.h"

static struct pvbus_watch tc_watch_slot;
static int tc_events;

int tc_start(void)
{
	int err = pv_xs_ring_init();

	if (err)
		return err;
	err = pv_xs_watch_init();
	if (err)
		pv_xs_ring_exit();
	return err;
}

void tc_stop(void)
{
	pv_xs_watch_exit();
	pv_xs_ring_exit();
}

int tc_read(uint32_t tx, const char *path, char *buf, size_t cap)
{
	struct pvbus_transaction t = { .id = tx };
	unsigned int len;
	char *value = pvbus_read(t, path, "", &len);

	if (IS_ERR(value))
		return (int)PTR_ERR(value);
	snprintf(buf, cap, "%.*s", (int)len, value);
	kfree(value);
	return 0;
}

int tc_write(uint32_t tx, const char *path, const char *value)
{
	struct pvbus_transaction t = { .id = tx };

	return pvbus_write(t, path, "", value);
}

int tc_directory(const char *path, char *buf, size_t cap)
{
	unsigned int i, n;
	char **names = pvbus_directory(PVBUS_TXN_NONE, path, "", &n);
	size_t used = 0;

	if (IS_ERR(names))
		return (int)PTR_ERR(names);
	buf[0] = '\0';
	for (i = 0; i < n && used < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s\n", names[i]);
	kfree(names);
	return 0;
}

int tc_tx_start(uint32_t *tx)
{
	struct pvbus_transaction t;
	int err = pvbus_transaction_start(&t);

	if (!err)
		*tx = t.id;
	return err;
}

int tc_tx_end(uint32_t tx, bool abort)
{
	struct pvbus_transaction t = { .id = tx };

	return pvbus_transaction_end(t, abort);
}

static void tc_fired(struct pvbus_watch *watch, const char *path, const char *token)
{
	(void)token;
	if (!strcmp(path, watch->node))
		__atomic_add_fetch(&tc_events, 1, __ATOMIC_SEQ_CST);
}

int tc_watch(const char *path)
{
	__atomic_store_n(&tc_events, 0, __ATOMIC_SEQ_CST);
	return pvbus_watch_path(&tc_watch_slot, path, "", tc_fired);
}

void tc_unwatch(void)
{
	pvbus_unwatch_path(&tc_watch_slot);
}

int tc_watch_events(void)
{
	return __atomic_load_n(&tc_events, __ATOMIC_SEQ_CST);
}

void tc_control_init(void)
{
	pv_control_init();
}

void tc_control_exit(void)
{
	pv_control_exit();
}
