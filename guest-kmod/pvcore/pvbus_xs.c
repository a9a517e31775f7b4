// SPDX-License-Identifier: GPL-2.0
/* pvbus_xs.c: typed store operations (read, write, directory, transactions) for frontends. */
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <pv/xs_wire.h>

#include "internal.h"
#include "pvbus.h"

static const char *const pv_xs_state_names[] = {
	[XenbusStateUnknown] = "Unknown",	    [XenbusStateInitialising] = "Initialising",
	[XenbusStateInitWait] = "InitWait",	    [XenbusStateInitialised] = "Initialised",
	[XenbusStateConnected] = "Connected",	    [XenbusStateClosing] = "Closing",
	[XenbusStateClosed] = "Closed",		    [XenbusStateReconfiguring] = "Reconfiguring",
	[XenbusStateReconfigured] = "Reconfigured",
};

const char *pvbus_strstate(int state)
{
	if (state < 0 || state >= (int)ARRAY_SIZE(pv_xs_state_names))
		return "Invalid";
	return pv_xs_state_names[state];
}
EXPORT_SYMBOL_GPL(pvbus_strstate);

/* "dir/node", "dir" or "node" (see pvbus.h); kmalloc'ed or NULL. */
char *pv_xs_join(const char *dir, const char *node)
{
	if (!node[0])
		return kstrdup(dir, GFP_KERNEL);
	if (!dir[0])
		return kstrdup(node, GFP_KERNEL);
	return kasprintf(GFP_KERNEL, "%s/%s", dir, node);
}

/* One request whose payload is path\0 followed by @extra bytes (may be NULL). */
static int pv_xs_path_request(u32 type, struct pvbus_transaction t, const char *dir,
			      const char *node, const void *extra, size_t extra_len,
			      struct pv_xs_reply *reply)
{
	char *path = pv_xs_join(dir, node);
	struct kvec iov[2];
	int err;

	if (!path)
		return -ENOMEM;
	iov[0] = (struct kvec){ .iov_base = path, .iov_len = strlen(path) + 1 };
	iov[1] = (struct kvec){ .iov_base = (void *)extra, .iov_len = extra_len };
	err = pv_xs_request(type, t.id, iov, extra ? 2 : 1, reply);
	kfree(path);
	return err;
}

/* For requests whose reply is just "OK". */
static int pv_xs_path_simple(u32 type, struct pvbus_transaction t, const char *dir,
			     const char *node, const void *extra, size_t extra_len)
{
	struct pv_xs_reply reply;
	int err = pv_xs_path_request(type, t, dir, node, extra, extra_len, &reply);

	if (!err)
		kfree(reply.body);
	return err;
}

void *pvbus_read(struct pvbus_transaction t, const char *dir, const char *node,
		 unsigned int *len)
{
	struct pv_xs_reply reply;
	int err = pv_xs_path_request(XS_READ, t, dir, node, NULL, 0, &reply);

	if (err)
		return ERR_PTR(err);
	if (len)
		*len = reply.len;
	return reply.body; /* NUL-terminated by the reader */
}
EXPORT_SYMBOL_GPL(pvbus_read);

/* Splits a directory reply (names each followed by NUL) into a pointer array in one block. */
static char **pv_xs_split(const char *body, u32 len, unsigned int *num)
{
	unsigned int n = 0, i = 0;
	char **vec, *copy;
	u32 pos;

	for (pos = 0; pos < len; pos++)
		n += body[pos] == '\0';
	if (len && body[len - 1] != '\0')
		return ERR_PTR(-EIO); /* unterminated last name: malformed reply */
	vec = kmalloc(n * sizeof(char *) + len + 1, GFP_KERNEL);
	if (!vec)
		return ERR_PTR(-ENOMEM);
	copy = (char *)(vec + n);
	memcpy(copy, body, len);
	copy[len] = '\0';
	for (pos = 0; pos < len; pos += strlen(copy + pos) + 1)
		vec[i++] = copy + pos;
	*num = n;
	return vec;
}

char **pvbus_directory(struct pvbus_transaction t, const char *dir, const char *node,
		       unsigned int *num)
{
	struct pv_xs_reply reply;
	char **vec;
	int err = pv_xs_path_request(XS_DIRECTORY, t, dir, node, NULL, 0, &reply);

	if (err)
		return ERR_PTR(err);
	vec = pv_xs_split(reply.body, reply.len, num);
	kfree(reply.body);
	return vec;
}
EXPORT_SYMBOL_GPL(pvbus_directory);

int pvbus_write(struct pvbus_transaction t, const char *dir, const char *node,
		const char *value)
{
	return pv_xs_path_simple(XS_WRITE, t, dir, node, value, strlen(value));
}
EXPORT_SYMBOL_GPL(pvbus_write);

int pvbus_mkdir(struct pvbus_transaction t, const char *dir, const char *node)
{
	return pv_xs_path_simple(XS_MKDIR, t, dir, node, NULL, 0);
}
EXPORT_SYMBOL_GPL(pvbus_mkdir);

int pvbus_rm(struct pvbus_transaction t, const char *dir, const char *node)
{
	return pv_xs_path_simple(XS_RM, t, dir, node, NULL, 0);
}
EXPORT_SYMBOL_GPL(pvbus_rm);

bool pvbus_exists(struct pvbus_transaction t, const char *dir, const char *node)
{
	void *value = pvbus_read(t, dir, node, NULL);

	if (IS_ERR(value))
		return false;
	kfree(value);
	return true;
}
EXPORT_SYMBOL_GPL(pvbus_exists);

int pvbus_scanf(struct pvbus_transaction t, const char *dir, const char *node, const char *fmt,
		...)
{
	char *value = pvbus_read(t, dir, node, NULL);
	va_list ap;
	int n;

	if (IS_ERR(value))
		return PTR_ERR(value);
	va_start(ap, fmt);
	n = vsscanf(value, fmt, ap);
	va_end(ap);
	kfree(value);
	return n > 0 ? n : -ERANGE;
}
EXPORT_SYMBOL_GPL(pvbus_scanf);

int pvbus_printf(struct pvbus_transaction t, const char *dir, const char *node, const char *fmt,
		 ...)
{
	va_list ap;
	char *value;
	int err;

	va_start(ap, fmt);
	value = kvasprintf(GFP_KERNEL, fmt, ap);
	va_end(ap);
	if (!value)
		return -ENOMEM;
	err = pvbus_write(t, dir, node, value);
	kfree(value);
	return err;
}
EXPORT_SYMBOL_GPL(pvbus_printf);

unsigned int pvbus_read_unsigned(const char *dir, const char *node, unsigned int def)
{
	unsigned int v;

	return pvbus_scanf(PVBUS_TXN_NONE, dir, node, "%u", &v) == 1 ? v : def;
}
EXPORT_SYMBOL_GPL(pvbus_read_unsigned);

int pvbus_transaction_start(struct pvbus_transaction *t)
{
	struct kvec iov = { .iov_base = "", .iov_len = 1 };
	struct pv_xs_reply reply;
	u32 id;
	int err = pv_xs_request(XS_TRANSACTION_START, 0, &iov, 1, &reply);

	if (err)
		return err;
	err = kstrtou32(reply.body, 10, &id);
	kfree(reply.body);
	if (err || !id)
		return -EIO; /* the store answered something that is not an id */
	t->id = id;
	return 0;
}
EXPORT_SYMBOL_GPL(pvbus_transaction_start);

int pvbus_transaction_end(struct pvbus_transaction t, bool abort)
{
	struct kvec iov = { .iov_base = abort ? "F" : "T", .iov_len = 2 };
	struct pv_xs_reply reply;
	int err = pv_xs_request(XS_TRANSACTION_END, t.id, &iov, 1, &reply);

	if (!err)
		kfree(reply.body);
	return err;
}
EXPORT_SYMBOL_GPL(pvbus_transaction_end);

int pvbus_transact(int (*fn)(struct pvbus_transaction t, void *arg), void *arg)
{
	struct pvbus_transaction t;
	unsigned int tries = 0;
	int err;

	do {
		err = pvbus_transaction_start(&t);
		if (err)
			return err;
		err = fn(t, arg);
		if (err) {
			pvbus_transaction_end(t, true);
			return err;
		}
		err = pvbus_transaction_end(t, false);
	} while (err == -EAGAIN && ++tries < PVBUS_TRANSACT_TRIES);
	return err;
}
EXPORT_SYMBOL_GPL(pvbus_transact);
