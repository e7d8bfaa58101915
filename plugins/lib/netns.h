/*
 * netns: reading the net/ files (procnet.h) of one network namespace: the agent's own (the
 * host's), a process's ("pid:1234", through <procfs_root>/1234/net) or a named one ("blue",
 * made by `ip netns add blue` as <netns_dir>/blue).
 *
 * A named namespace may hold no process, so no /proc/<pid>/net shows it: a short-lived helper
 * thread enters it with setns(), opens the net/ files through /proc/self/task/<tid>/net, and
 * exits. It runs nothing else, and the caller's thread (every agent thread) never changes
 * namespace. The descriptors it opened stay bound to that namespace, so later runs only pread
 * them, from any thread.
 *
 * Because a kept descriptor keeps its namespace alive (and shows it even after `ip netns del`
 * or after the process exited), every read first stats the namespace file (<netns_dir>/NAME,
 * <procfs_root>/PID/ns/net): gone -> the files are closed and -ENOENT returned; another
 * namespace under the same name -> the files are reopened. A deleted namespace is held at most
 * until the next read.
 *
 * Usage:
 *	struct tally_netns ns;
 *	if (tally_netns_init(&ns, "pid:1234", "/proc", "/var/run/netns") == 0) {
 *		rc = tally_netns_read(&ns, &devs, &proto); // each run; -ENOENT: gone for now
 *		tally_netns_free(&ns);
 *	}
 *
 * Threads: one struct tally_netns is used by one thread at a time; no globals.
 */
#ifndef TALLY_PLUGINS_NETNS_H
#define TALLY_PLUGINS_NETNS_H

#include <stdint.h>

#include "procnet.h"

enum tally_netns_kind {
	TALLY_NETNS_SELF = 0, /* the agent's own namespace: <procfs_root>/net */
	TALLY_NETNS_PID,      /* "pid:N": <procfs_root>/N/net */
	TALLY_NETNS_NAMED,    /* "NAME": <netns_dir>/NAME, entered by a helper thread */
};

/* One namespace and its kept-open files. Fields are read-only for callers. */
struct tally_netns {
	enum tally_netns_kind kind;
	char *spec;    /* as configured ("blue", "pid:1234"); NULL for SELF */
	char *ns_path; /* the file naming the namespace, stat()ed each read; NULL for SELF */
	char *net_dir; /* SELF and PID: the folder of the net/ files */
	uint64_t ns_dev, ns_ino; /* identity of the namespace the files are bound to */
	struct tally_procnet pn;
};

/*
 * Sets ns up for spec (NULL or "" for the agent's own namespace, "pid:N", or a name without
 * '/'); procfs_root ("/proc") and netns_dir ("/var/run/netns") are copied. Opens nothing yet.
 * Returns 0, -EINVAL for a bad spec, -ENOMEM. On failure ns needs no _free.
 */
int tally_netns_init(struct tally_netns *ns, const char *spec, const char *procfs_root,
                     const char *netns_dir);
/*
 * Reads the namespace's files into devs and proto (either may be NULL, see
 * tally_procnet_read), opening or reopening them first when needed. Returns 0; -ENOENT when
 * the namespace does not exist (now); -EPERM when it cannot be entered; another negative errno.
 */
int tally_netns_read(struct tally_netns *ns, struct tally_netdev_set *devs,
                     struct tally_netproto *proto);
/* Closes the files and frees what _init allocated; accepts a zeroed ns. */
void tally_netns_free(struct tally_netns *ns);

/*
 * Opens the net/ files of the namespace at ns_path (an nsfs file such as /var/run/netns/blue
 * or /proc/N/ns/net) from inside it, on a helper thread, into fds[] (-1 for a file that is
 * absent; the caller owns the others), and stores the namespace's identity in *dev and *ino.
 * The calling thread's namespace is untouched. Returns 0 or a negative errno (nothing open).
 */
int tally_netns_open_files(const char *ns_path, int fds[TALLY_PROCNET_NFILES], uint64_t *dev,
                           uint64_t *ino);

/*
 * A socket(domain, type | SOCK_CLOEXEC, protocol) made inside the namespace at ns_path (NULL:
 * the caller's own namespace, no thread), on a helper thread as above: it stays bound to that
 * namespace (e.g. a NETLINK_SOCK_DIAG socket that lists that namespace's connections). Stores
 * the namespace's identity in *dev and *ino when ns_path is given. Returns the descriptor (the
 * caller closes it) or a negative errno.
 */
int tally_netns_socket(const char *ns_path, int domain, int type, int protocol, uint64_t *dev,
                       uint64_t *ino);

#endif
