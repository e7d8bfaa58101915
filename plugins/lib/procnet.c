/*
 * procnet: reading a namespace's net/ files (kept open and re-read with pread, or opened per
 * read), and telling a counter's wrap from its reset. The parsers are in procnet_parse.c.
 */
#include "procnet.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROCNET_BUF_MIN (16u << 10) /* net/netstat is ~4 KB, net/dev ~120 B per interface */
#define PROCNET_BUF_MAX (64u << 20) /* a file larger than this is refused, not read forever */

static const char *const file_names[TALLY_PROCNET_NFILES] = {
	[TALLY_PROCNET_DEV] = "dev",
	[TALLY_PROCNET_SNMP] = "snmp",
	[TALLY_PROCNET_SNMP6] = "snmp6",
	[TALLY_PROCNET_NETSTAT] = "netstat",
};

const char *
tally_procnet_file_name(enum tally_procnet_file f)
{
	return (unsigned)f < TALLY_PROCNET_NFILES ? file_names[f] : "?";
}

void
tally_procnet_init(struct tally_procnet *pn)
{
	for (int f = 0; f < TALLY_PROCNET_NFILES; f++)
		pn->fd[f] = -1;
	pn->buf = NULL;
	pn->buf_cap = 0;
}

static void
close_fds(struct tally_procnet *pn)
{
	for (int f = 0; f < TALLY_PROCNET_NFILES; f++) {
		if (pn->fd[f] >= 0)
			close(pn->fd[f]);
		pn->fd[f] = -1;
	}
}

void
tally_procnet_close(struct tally_procnet *pn)
{
	close_fds(pn);
	free(pn->buf);
	pn->buf = NULL;
	pn->buf_cap = 0;
}

int
tally_procnet_open(struct tally_procnet *pn, const char *net_dir)
{
	char path[4096];

	close_fds(pn);
	for (int f = 0; f < TALLY_PROCNET_NFILES; f++) {
		snprintf(path, sizeof(path), "%s/%s", net_dir, file_names[f]);
		pn->fd[f] = open(path, O_RDONLY | O_CLOEXEC);
		if (pn->fd[f] < 0 && f == TALLY_PROCNET_DEV)
			return -errno;
	}
	return 0;
}

void
tally_procnet_adopt(struct tally_procnet *pn, const int fds[TALLY_PROCNET_NFILES])
{
	close_fds(pn);
	for (int f = 0; f < TALLY_PROCNET_NFILES; f++)
		pn->fd[f] = fds[f];
}

/*
 * The whole file from offset 0 into pn->buf; *len is its size. procfs files have no size, so
 * read until EOF, growing the buffer; a seq_file's pread at 0 restarts it, so one descriptor
 * serves every run.
 */
static int
slurp(struct tally_procnet *pn, int fd, size_t *len)
{
	size_t n = 0;

	if (!pn->buf) {
		pn->buf = malloc(PROCNET_BUF_MIN);
		if (!pn->buf)
			return -ENOMEM;
		pn->buf_cap = PROCNET_BUF_MIN;
	}
	for (;;) {
		ssize_t r;

		if (n == pn->buf_cap) {
			char *b;

			if (pn->buf_cap >= PROCNET_BUF_MAX)
				return -EFBIG;
			b = realloc(pn->buf, pn->buf_cap * 2);
			if (!b)
				return -ENOMEM;
			pn->buf = b;
			pn->buf_cap *= 2;
		}
		r = pread(fd, pn->buf + n, pn->buf_cap - n, (off_t)n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return 0;
}

/* Reads and parses one protocol file into proto; a failure only leaves its bits clear. */
static void
read_proto(struct tally_procnet *pn, int f, struct tally_netproto *proto)
{
	size_t len;

	if (pn->fd[f] < 0 || slurp(pn, pn->fd[f], &len) < 0)
		return;
	if (f == TALLY_PROCNET_SNMP6)
		(void)tally_netproto_parse_snmp6(pn->buf, len, proto);
	else
		(void)tally_netproto_parse_snmp(pn->buf, len, proto);
}

int
tally_procnet_read(struct tally_procnet *pn, struct tally_netdev_set *devs,
                   struct tally_netproto *proto)
{
	int rc = 0;

	if (devs) {
		size_t len;

		if (pn->fd[TALLY_PROCNET_DEV] < 0)
			return -EBADF;
		rc = slurp(pn, pn->fd[TALLY_PROCNET_DEV], &len);
		if (rc == 0)
			rc = tally_netdev_parse(pn->buf, len, devs);
		if (rc < 0)
			return rc;
	}
	if (proto) {
		tally_netproto_reset(proto);
		read_proto(pn, TALLY_PROCNET_SNMP, proto);
		read_proto(pn, TALLY_PROCNET_SNMP6, proto);
		read_proto(pn, TALLY_PROCNET_NETSTAT, proto);
	}
	return 0;
}

int
tally_procnet_read_dir(const char *net_dir, struct tally_netdev_set *devs,
                       struct tally_netproto *proto)
{
	struct tally_procnet pn;
	char path[4096];
	int rc = 0;

	tally_procnet_init(&pn);
	for (int f = 0; f < TALLY_PROCNET_NFILES; f++) {
		if (f == TALLY_PROCNET_DEV ? !devs : !proto)
			continue;
		snprintf(path, sizeof(path), "%s/%s", net_dir, file_names[f]);
		pn.fd[f] = open(path, O_RDONLY | O_CLOEXEC);
		if (pn.fd[f] < 0 && f == TALLY_PROCNET_DEV) {
			rc = -errno;
			goto out;
		}
	}
	rc = tally_procnet_read(&pn, devs, proto);
out:
	tally_procnet_close(&pn);
	return rc;
}

bool
tally_counter_delta(uint64_t prev, uint64_t cur, uint64_t *delta)
{
	uint64_t wrapped;

	if (cur >= prev) {
		*delta = cur - prev;
		return true;
	}
	if (prev > UINT32_MAX)
		return false;
	wrapped = (UINT64_C(1) << 32) - prev + cur;
	if (wrapped >= (UINT64_C(1) << 31))
		return false;
	*delta = wrapped;
	return true;
}
