// SPDX-License-Identifier: GPL-2.0
/* pvbus_debugfs.c: debugfs "store": store commands from a shell, for tests (e2e-store). */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "pvbus.h"

/*
 * /sys/kernel/debug/pvcore/store. Write one command, read back its result:
 *   read PATH | write PATH VALUE | rm PATH | ls PATH | watch PATH | unwatch PATH | events
 *   | stats | testdrv on | testdrv off | testdrv log
 * The result's first line is "OK" or "ERR <errno> <name>" (ERR -13 EACCES); read adds the
 * value, ls one child per line, events the paths the debugfs watches fired for since the
 * last "events" (then forgets them), stats the client's counters, testdrv log the steps of
 * the "vtest" test frontend (pvbus_testdrv.c) since the last "testdrv log". One result for all
 * openers: the file is a test hook, not an API.
 */
#define PV_DBG_RESULT_MAX 8192
#define PV_DBG_CMD_MAX 512
#define PV_DBG_WATCHES 8
#define PV_DBG_EVENTS_MAX 4096

struct pv_dbg_watch {
	struct pvbus_watch watch;
	bool used;
};

static DEFINE_MUTEX(pv_dbg_lock); /* result, watches; not held by watch callbacks */
static char *pv_dbg_result;
static size_t pv_dbg_result_len;
static struct pv_dbg_watch pv_dbg_watches[PV_DBG_WATCHES];
static DEFINE_SPINLOCK(pv_dbg_events_lock);
static char *pv_dbg_events; /* "path\n" lines, PV_DBG_EVENTS_MAX bytes */
static size_t pv_dbg_events_len;
static unsigned int pv_dbg_events_dropped;
static struct dentry *pv_dbg_file;

__printf(1, 2) static void pv_dbg_append(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (pv_dbg_result_len >= PV_DBG_RESULT_MAX - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(pv_dbg_result + pv_dbg_result_len, PV_DBG_RESULT_MAX - pv_dbg_result_len,
		      fmt, ap);
	va_end(ap);
	pv_dbg_result_len = min_t(size_t, pv_dbg_result_len + n, PV_DBG_RESULT_MAX - 1);
}

static const char *pv_dbg_errname(int err)
{
	switch (-err) {
#define PV_DBG_ERRNAME(e)                                                                         \
	case e:                                                                                   \
		return #e;
		PV_XS_ERRORS(PV_DBG_ERRNAME)
#undef PV_DBG_ERRNAME
	case EINTR:
		return "EINTR";
	case ERANGE:
		return "ERANGE";
	default:
		return "E?";
	}
}

static void pv_dbg_status(int err)
{
	pv_dbg_result_len = 0;
	if (err)
		pv_dbg_append("ERR %d %s\n", err, pv_dbg_errname(err));
	else
		pv_dbg_append("OK\n");
}

static void pv_dbg_watch_fired(struct pvbus_watch *watch, const char *path, const char *token)
{
	size_t n = strlen(path);

	spin_lock(&pv_dbg_events_lock);
	if (pv_dbg_events_len + n + 1 <= PV_DBG_EVENTS_MAX) {
		memcpy(pv_dbg_events + pv_dbg_events_len, path, n);
		pv_dbg_events[pv_dbg_events_len + n] = '\n';
		pv_dbg_events_len += n + 1;
	} else {
		pv_dbg_events_dropped++;
	}
	spin_unlock(&pv_dbg_events_lock);
}

static void pv_dbg_cmd_read(const char *path)
{
	unsigned int len;
	char *value = pvbus_read(PVBUS_TXN_NONE, path, "", &len);

	pv_dbg_status(PTR_ERR_OR_ZERO(value));
	if (IS_ERR(value))
		return;
	pv_dbg_append("%.*s\n", (int)len, value);
	kfree(value);
}

static void pv_dbg_cmd_ls(const char *path)
{
	unsigned int i, n;
	char **names = pvbus_directory(PVBUS_TXN_NONE, path, "", &n);

	pv_dbg_status(PTR_ERR_OR_ZERO(names));
	if (IS_ERR(names))
		return;
	for (i = 0; i < n; i++)
		pv_dbg_append("%s\n", names[i]);
	kfree(names);
}

static struct pv_dbg_watch *pv_dbg_find_watch(const char *path)
{
	unsigned int i;

	for (i = 0; i < PV_DBG_WATCHES; i++)
		if (pv_dbg_watches[i].used && !strcmp(pv_dbg_watches[i].watch.node, path))
			return &pv_dbg_watches[i];
	return NULL;
}

static void pv_dbg_cmd_watch(const char *path)
{
	unsigned int i;
	int err;

	for (i = 0; i < PV_DBG_WATCHES && pv_dbg_watches[i].used; i++)
		;
	if (i == PV_DBG_WATCHES) {
		pv_dbg_status(-ENOSPC);
		return;
	}
	err = pvbus_watch_path(&pv_dbg_watches[i].watch, path, "", pv_dbg_watch_fired);
	pv_dbg_watches[i].used = !err;
	pv_dbg_status(err);
}

static void pv_dbg_cmd_unwatch(const char *path)
{
	struct pv_dbg_watch *w = pv_dbg_find_watch(path);

	if (w) {
		pvbus_unwatch_path(&w->watch);
		w->used = false;
	}
	pv_dbg_status(w ? 0 : -ENOENT);
}

static void pv_dbg_cmd_events(void)
{
	char *copy = kmalloc(PV_DBG_EVENTS_MAX, GFP_KERNEL);
	unsigned int dropped;
	size_t len;

	if (!copy) {
		pv_dbg_status(-ENOMEM);
		return;
	}
	spin_lock(&pv_dbg_events_lock);
	len = pv_dbg_events_len;
	memcpy(copy, pv_dbg_events, len);
	dropped = pv_dbg_events_dropped;
	pv_dbg_events_len = 0;
	pv_dbg_events_dropped = 0;
	spin_unlock(&pv_dbg_events_lock);
	pv_dbg_status(0);
	pv_dbg_append("%.*s", (int)len, copy);
	if (dropped)
		pv_dbg_append("dropped %u\n", dropped);
	kfree(copy);
}

static void pv_dbg_cmd_testdrv(const char *arg)
{
	char *log;

	if (!strcmp(arg, "on") || !strcmp(arg, "off")) {
		pv_dbg_status(pv_testdrv_set(!strcmp(arg, "on")));
		return;
	}
	if (strcmp(arg, "log")) {
		pv_dbg_status(-EINVAL);
		return;
	}
	log = kmalloc(PV_DBG_EVENTS_MAX, GFP_KERNEL);
	pv_dbg_status(log ? 0 : -ENOMEM);
	if (!log)
		return;
	pv_testdrv_take_log(log, PV_DBG_EVENTS_MAX);
	pv_dbg_append("%s", log);
	kfree(log);
}

static void pv_dbg_cmd_stats(void)
{
	pv_dbg_status(0);
	pv_dbg_append("connected=%d replies=%llu events=%llu stray_replies=%llu "
		      "stray_events=%llu bad_events=%llu dropped_events=%llu broken=%llu "
		      "devices_added=%llu devices_removed=%llu\n",
		      pv_xs_connected(), pv_xs_stats.replies, pv_xs_stats.events,
		      pv_xs_stats.stray_replies, pv_xs_stats.stray_events, pv_xs_stats.bad_events,
		      pv_xs_stats.dropped_events, pv_xs_stats.broken, pv_bus_stats.devices_added,
		      pv_bus_stats.devices_removed);
}

/* cmd is NUL-terminated and stripped of its trailing newline. */
static void pv_dbg_run(char *cmd)
{
	char *verb = strsep(&cmd, " ");
	char *path = cmd ? strsep(&cmd, " ") : NULL;

	if (!strcmp(verb, "events")) {
		pv_dbg_cmd_events();
	} else if (!strcmp(verb, "stats")) {
		pv_dbg_cmd_stats();
	} else if (!path || !path[0]) {
		pv_dbg_status(-EINVAL);
	} else if (!strcmp(verb, "read") && !cmd) {
		pv_dbg_cmd_read(path);
	} else if (!strcmp(verb, "write") && cmd) {
		pv_dbg_status(pvbus_write(PVBUS_TXN_NONE, path, "", cmd));
	} else if (!strcmp(verb, "rm") && !cmd) {
		pv_dbg_status(pvbus_rm(PVBUS_TXN_NONE, path, ""));
	} else if (!strcmp(verb, "ls") && !cmd) {
		pv_dbg_cmd_ls(path);
	} else if (!strcmp(verb, "watch") && !cmd) {
		pv_dbg_cmd_watch(path);
	} else if (!strcmp(verb, "unwatch") && !cmd) {
		pv_dbg_cmd_unwatch(path);
	} else if (!strcmp(verb, "testdrv") && !cmd) {
		pv_dbg_cmd_testdrv(path);
	} else {
		pv_dbg_status(-EINVAL);
	}
}

static ssize_t pv_dbg_write(struct file *file, const char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	char *cmd;

	if (count == 0 || count >= PV_DBG_CMD_MAX)
		return -EINVAL;
	cmd = memdup_user_nul(ubuf, count);
	if (IS_ERR(cmd))
		return PTR_ERR(cmd);
	if (cmd[count - 1] == '\n')
		cmd[count - 1] = '\0';
	mutex_lock(&pv_dbg_lock);
	pv_dbg_run(cmd);
	mutex_unlock(&pv_dbg_lock);
	kfree(cmd);
	return count;
}

static ssize_t pv_dbg_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&pv_dbg_lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, pv_dbg_result, pv_dbg_result_len);
	mutex_unlock(&pv_dbg_lock);
	return ret;
}

static const struct file_operations pv_dbg_fops = {
	.owner = THIS_MODULE,
	.read = pv_dbg_read,
	.write = pv_dbg_write,
	.llseek = default_llseek,
};

void pv_bus_debugfs_init(void)
{
	pv_dbg_result = kzalloc(PV_DBG_RESULT_MAX, GFP_KERNEL);
	pv_dbg_events = kzalloc(PV_DBG_EVENTS_MAX, GFP_KERNEL);
	if (!pv_dbg_result || !pv_dbg_events) {
		kfree(pv_dbg_result);
		kfree(pv_dbg_events);
		pv_dbg_result = pv_dbg_events = NULL;
		return;
	}
	pv_dbg_file = debugfs_create_file("store", 0600, pv_debugfs_dir, NULL, &pv_dbg_fops);
}

/* After debugfs_remove_recursive of pvcore's dir (no reader or writer is left). */
void pv_bus_debugfs_exit(void)
{
	unsigned int i;

	pv_testdrv_set(false);
	for (i = 0; i < PV_DBG_WATCHES; i++) {
		if (pv_dbg_watches[i].used)
			pvbus_unwatch_path(&pv_dbg_watches[i].watch);
		pv_dbg_watches[i].used = false;
	}
	kfree(pv_dbg_result);
	kfree(pv_dbg_events);
	pv_dbg_result = pv_dbg_events = NULL;
}
