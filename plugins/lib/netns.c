/*
 * netns: one network namespace's net/ files, kept open, reopened when the namespace behind
 * its name changes. Named namespaces are entered only by a helper thread (netns.h says why).
 */
#include "netns.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *
dup_printf(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

static bool
parse_pid(const char *s)
{
	if (!*s || strlen(s) > 10)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

int
tally_netns_init(struct tally_netns *ns, const char *spec, const char *procfs_root,
                 const char *netns_dir)
{
	memset(ns, 0, sizeof(*ns));
	tally_procnet_init(&ns->pn);
	if (!spec || !*spec) {
		ns->kind = TALLY_NETNS_SELF;
		ns->net_dir = dup_printf(procfs_root, "/net", "");
		return ns->net_dir ? 0 : -ENOMEM;
	}
	if (strncmp(spec, "pid:", 4) == 0) {
		char dir[64];

		if (!parse_pid(spec + 4))
			return -EINVAL;
		ns->kind = TALLY_NETNS_PID;
		snprintf(dir, sizeof(dir), "/%s/", spec + 4);
		ns->net_dir = dup_printf(procfs_root, dir, "net");
		ns->ns_path = dup_printf(procfs_root, dir, "ns/net");
	} else {
		if (strchr(spec, '/') || strcmp(spec, ".") == 0 || strcmp(spec, "..") == 0)
			return -EINVAL;
		ns->kind = TALLY_NETNS_NAMED;
		ns->ns_path = dup_printf(netns_dir, "/", spec);
	}
	ns->spec = strdup(spec);
	if (!ns->spec || !ns->ns_path || (ns->kind == TALLY_NETNS_PID && !ns->net_dir)) {
		tally_netns_free(ns);
		return -ENOMEM;
	}
	return 0;
}

void
tally_netns_free(struct tally_netns *ns)
{
	tally_procnet_close(&ns->pn);
	free(ns->spec);
	free(ns->ns_path);
	free(ns->net_dir);
	ns->spec = ns->ns_path = ns->net_dir = NULL;
}

/* ---- the helper thread ---- */

struct opener {
	const char *ns_path;
	int sock_domain; /* 0: open the net/ files; else make this socket into sock_fd */
	int sock_type, sock_protocol, sock_fd;
	int fds[TALLY_PROCNET_NFILES];
	uint64_t dev, ino;
	int rc;
};

static void *
opener_main(void *arg)
{
	struct opener *o = arg;
	struct stat st;
	char dir[64], path[96];
	int nsfd = open(o->ns_path, O_RDONLY | O_CLOEXEC);

	if (nsfd < 0) {
		o->rc = -errno;
		return NULL;
	}
	if (fstat(nsfd, &st) < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		o->rc = -errno;
		close(nsfd);
		return NULL;
	}
	close(nsfd);
	o->dev = (uint64_t)st.st_dev;
	o->ino = (uint64_t)st.st_ino;
	if (o->sock_domain) {
		o->sock_fd = socket(o->sock_domain, o->sock_type | SOCK_CLOEXEC, o->sock_protocol);
		o->rc = o->sock_fd < 0 ? -errno : 0;
		return NULL;
	}
	/* This thread's own net/ folder, in the agent's procfs (the tid is the agent's). */
	snprintf(dir, sizeof(dir), "/proc/self/task/%ld/net", (long)syscall(SYS_gettid));
	for (int f = 0; f < TALLY_PROCNET_NFILES; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, tally_procnet_file_name(f));
		o->fds[f] = open(path, O_RDONLY | O_CLOEXEC);
		if (o->fds[f] < 0 && f == TALLY_PROCNET_DEV) {
			o->rc = -errno;
			return NULL;
		}
	}
	o->rc = 0;
	/* Returning ends the thread and, with it, the only thread that was in ns_path. */
	return NULL;
}

int
tally_netns_open_files(const char *ns_path, int fds[TALLY_PROCNET_NFILES], uint64_t *dev,
                       uint64_t *ino)
{
	struct opener o = { .ns_path = ns_path, .rc = -EIO };
	pthread_t t;
	int err;

	for (int f = 0; f < TALLY_PROCNET_NFILES; f++)
		o.fds[f] = -1;
	err = pthread_create(&t, NULL, opener_main, &o);
	if (err)
		return -err;
	pthread_join(t, NULL);
	if (o.rc < 0) {
		for (int f = 0; f < TALLY_PROCNET_NFILES; f++) {
			if (o.fds[f] >= 0)
				close(o.fds[f]);
		}
		return o.rc;
	}
	memcpy(fds, o.fds, sizeof(o.fds));
	*dev = o.dev;
	*ino = o.ino;
	return 0;
}

int
tally_netns_socket(const char *ns_path, int domain, int type, int protocol, uint64_t *dev,
                   uint64_t *ino)
{
	struct opener o = { .ns_path = ns_path,
		            .sock_domain = domain,
		            .sock_type = type,
		            .sock_protocol = protocol,
		            .sock_fd = -1,
		            .rc = -EIO };
	pthread_t t;
	int err, fd;

	if (!ns_path) {
		fd = socket(domain, type | SOCK_CLOEXEC, protocol);
		return fd < 0 ? -errno : fd;
	}
	err = pthread_create(&t, NULL, opener_main, &o);
	if (err)
		return -err;
	pthread_join(t, NULL);
	if (o.rc < 0)
		return o.rc;
	*dev = o.dev;
	*ino = o.ino;
	return o.sock_fd;
}

/* ---- reading ---- */

static bool
is_open(const struct tally_netns *ns)
{
	return ns->pn.fd[TALLY_PROCNET_DEV] >= 0;
}

static int
open_files(struct tally_netns *ns, const struct stat *now)
{
	int fds[TALLY_PROCNET_NFILES], rc;

	if (ns->kind != TALLY_NETNS_NAMED) {
		rc = tally_procnet_open(&ns->pn, ns->net_dir);
		if (rc < 0)
			return rc;
		if (now) {
			ns->ns_dev = (uint64_t)now->st_dev;
			ns->ns_ino = (uint64_t)now->st_ino;
		}
		return 0;
	}
	rc = tally_netns_open_files(ns->ns_path, fds, &ns->ns_dev, &ns->ns_ino);
	if (rc < 0)
		return rc;
	tally_procnet_adopt(&ns->pn, fds);
	return 0;
}

/*
 * Opens the files when they are not open, reopens them when the name now means another
 * namespace, closes them when it means none.
 */
static int
refresh(struct tally_netns *ns)
{
	struct stat st;

	if (ns->kind == TALLY_NETNS_SELF)
		return is_open(ns) ? 0 : open_files(ns, NULL);
	if (stat(ns->ns_path, &st) < 0) {
		int rc = errno == ENOENT || errno == ESRCH ? -ENOENT : -errno;

		tally_procnet_close(&ns->pn);
		return rc;
	}
	if (is_open(ns) && (uint64_t)st.st_dev == ns->ns_dev && (uint64_t)st.st_ino == ns->ns_ino)
		return 0;
	return open_files(ns, &st);
}

int
tally_netns_read(struct tally_netns *ns, struct tally_netdev_set *devs,
                 struct tally_netproto *proto)
{
	int rc = refresh(ns);

	if (rc < 0)
		return rc == -ESRCH ? -ENOENT : rc;
	rc = tally_procnet_read(&ns->pn, devs, proto);
	if (rc < 0)
		tally_procnet_close(&ns->pn); /* reopened next time */
	return rc;
}
