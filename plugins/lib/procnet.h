/*
 * procnet: the /proc/net readers. Parses net/dev (per-interface counters) and net/snmp,
 * net/snmp6, net/netstat (protocol counters) of one network namespace, either from text, from
 * a folder read file by file (open-per-read), or through kept-open descriptors re-read with
 * pread (the cheap path for a check that runs every few seconds).
 *
 * Usage (the docker check reads a container's interfaces this way):
 *
 *	struct tally_netdev_set devs = { 0 };
 *	// once, or every run: "/proc/<pid>/net" shows the namespace of process <pid>
 *	int rc = tally_procnet_read_dir("/proc/1234/net", &devs, NULL);
 *	for (size_t i = 0; rc == 0 && i < devs.n; i++)
 *		use(devs.dev[i].name, devs.dev[i].v[TALLY_NETDEV_RX_BYTES]);
 *	tally_netdev_set_free(&devs);
 *
 * or, kept open (the descriptors stay bound to the namespace they were opened in, even when
 * read from another thread or after the process is gone: see netns.h to notice that):
 *
 *	struct tally_procnet pn;
 *	tally_procnet_init(&pn);
 *	if (tally_procnet_open(&pn, "/proc/net") == 0)
 *		tally_procnet_read(&pn, &devs, &proto); // each run
 *	tally_procnet_close(&pn);
 *
 * Rates from two readings: tally_counter_delta() tells a 32-bit wrap from a reset.
 *
 * Threads: no globals; one struct tally_procnet or set per thread at a time.
 */
#ifndef TALLY_PLUGINS_PROCNET_H
#define TALLY_PLUGINS_PROCNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest interface name kept (IFNAMSIZ is 16; longer names in a file are truncated). */
#define TALLY_NETDEV_NAME_MAX 32

/* The net/dev columns kept, by index into tally_netdev.v. */
enum tally_netdev_col {
	TALLY_NETDEV_RX_BYTES = 0,
	TALLY_NETDEV_RX_PACKETS,
	TALLY_NETDEV_RX_ERRS,
	TALLY_NETDEV_RX_DROP,
	TALLY_NETDEV_TX_BYTES,
	TALLY_NETDEV_TX_PACKETS,
	TALLY_NETDEV_TX_ERRS,
	TALLY_NETDEV_TX_DROP,
	TALLY_NETDEV_NCOLS,
};

/* One interface's counters; bit (1u << col) of have is set for each column the file had. */
struct tally_netdev {
	char name[TALLY_NETDEV_NAME_MAX];
	uint64_t v[TALLY_NETDEV_NCOLS];
	uint32_t have;
};

/* The interfaces of one reading, in file order. Owns dev; zero-initialise, free with _free. */
struct tally_netdev_set {
	struct tally_netdev *dev;
	size_t n, cap;
};

/*
 * Parses net/dev text (len bytes, need not be NUL-terminated) into out, replacing what out
 * held. Columns are found by the header's names, so old kernels' files (no bytes columns,
 * fewer columns) parse too, with those bits clear in have; a name glued to its first number
 * ("eth0:123") is split at the colon. Returns 0, -EINVAL when the header is not net/dev's,
 * -ENOMEM. Malformed interface lines are skipped.
 */
int tally_netdev_parse(const char *text, size_t len, struct tally_netdev_set *out);
/* The interface called name, or NULL. Borrowed from set. */
const struct tally_netdev *tally_netdev_find(const struct tally_netdev_set *set, const char *name);
/* Frees set's array and zeroes it; accepts a zeroed set. */
void tally_netdev_set_free(struct tally_netdev_set *set);

/* The protocol counters kept, by index into tally_netproto.v. */
enum tally_netproto_id {
	/* net/snmp "Tcp:" (shared by IPv4 and IPv6 in Linux) */
	TALLY_NP_TCP_ACTIVE_OPENS = 0,
	TALLY_NP_TCP_PASSIVE_OPENS,
	TALLY_NP_TCP_ATTEMPT_FAILS,
	TALLY_NP_TCP_ESTAB_RESETS,
	TALLY_NP_TCP_CURR_ESTAB, /* a gauge, not a counter */
	TALLY_NP_TCP_IN_SEGS,
	TALLY_NP_TCP_OUT_SEGS,
	TALLY_NP_TCP_RETRANS_SEGS,
	TALLY_NP_TCP_IN_ERRS,
	TALLY_NP_TCP_OUT_RSTS,
	/* net/snmp "Udp:" (IPv4) */
	TALLY_NP_UDP_IN_DATAGRAMS,
	TALLY_NP_UDP_NO_PORTS,
	TALLY_NP_UDP_IN_ERRORS,
	TALLY_NP_UDP_OUT_DATAGRAMS,
	TALLY_NP_UDP_RCVBUF_ERRORS,
	TALLY_NP_UDP_SNDBUF_ERRORS,
	/* net/snmp6 "Udp6*" (IPv6) */
	TALLY_NP_UDP6_IN_DATAGRAMS,
	TALLY_NP_UDP6_NO_PORTS,
	TALLY_NP_UDP6_IN_ERRORS,
	TALLY_NP_UDP6_OUT_DATAGRAMS,
	TALLY_NP_UDP6_RCVBUF_ERRORS,
	TALLY_NP_UDP6_SNDBUF_ERRORS,
	/* net/netstat "TcpExt:" */
	TALLY_NP_TCPEXT_LISTEN_OVERFLOWS,
	TALLY_NP_TCPEXT_LISTEN_DROPS,
	TALLY_NP_COUNT,
};

/* Protocol counters; bit (1ull << id) of have is set for each counter found. */
struct tally_netproto {
	uint64_t v[TALLY_NP_COUNT];
	uint64_t have;
};

/* The kernel's name of a counter, e.g. "Tcp:RetransSegs", "Udp6InDatagrams". Static. */
const char *tally_netproto_name(enum tally_netproto_id id);
/* Clears out (all counters absent). */
void tally_netproto_reset(struct tally_netproto *out);
/*
 * Adds what net/snmp or net/netstat text holds (pairs of "Prefix: names" / "Prefix: values"
 * lines) into out. Returns 0; -EINVAL when no line pair parses.
 */
int tally_netproto_parse_snmp(const char *text, size_t len, struct tally_netproto *out);
/* Adds what net/snmp6 text ("Name value" lines) holds into out. Returns 0 or -EINVAL. */
int tally_netproto_parse_snmp6(const char *text, size_t len, struct tally_netproto *out);

/* The files of a namespace's net/ folder, by index into tally_procnet.fd. */
enum tally_procnet_file {
	TALLY_PROCNET_DEV = 0,
	TALLY_PROCNET_SNMP,
	TALLY_PROCNET_SNMP6, /* absent without IPv6 */
	TALLY_PROCNET_NETSTAT,
	TALLY_PROCNET_NFILES,
};

/* The file name of f under net/ ("dev", "snmp", ...). Static. */
const char *tally_procnet_file_name(enum tally_procnet_file f);

/* Kept-open descriptors of one namespace's net/ files and a read buffer it owns. */
struct tally_procnet {
	int fd[TALLY_PROCNET_NFILES]; /* -1 when not open */
	char *buf;
	size_t buf_cap;
};

/* Sets every fd to -1 and the buffer to none; call before _open or _close. */
void tally_procnet_init(struct tally_procnet *pn);
/*
 * Opens <net_dir>/dev, snmp, snmp6 and netstat (O_RDONLY | O_CLOEXEC), closing what pn had
 * open. A missing snmp6 (no IPv6) is not an error. Returns 0, or the negative errno of dev's
 * open (net_dir is not a net/ folder).
 */
int tally_procnet_open(struct tally_procnet *pn, const char *net_dir);
/*
 * Adopts fds[f] (owned by pn afterwards; -1 for absent), closing what pn had open. For
 * descriptors opened elsewhere, e.g. by netns.h's helper thread inside a namespace.
 */
void tally_procnet_adopt(struct tally_procnet *pn, const int fds[TALLY_PROCNET_NFILES]);
/*
 * Re-reads the open files from offset 0 into devs (replaced) and proto (reset, then filled);
 * either may be NULL to skip those files. Returns 0, -EBADF when dev is not open, another
 * negative errno on a read or parse failure of dev (a protocol file that fails is skipped:
 * its bits stay clear in proto->have).
 */
int tally_procnet_read(struct tally_procnet *pn, struct tally_netdev_set *devs,
                       struct tally_netproto *proto);
/* Closes the files and frees the buffer; leaves pn as after _init. */
void tally_procnet_close(struct tally_procnet *pn);

/*
 * Open-per-read: opens, reads and closes <net_dir>/dev (and the protocol files when proto is
 * not NULL). Same results as _open + _read + _close.
 */
int tally_procnet_read_dir(const char *net_dir, struct tally_netdev_set *devs,
                           struct tally_netproto *proto);

/*
 * The increase of a counter from prev to cur. A counter that went down wrapped when both
 * readings fit in 32 bits and the wrapped increase is under 2^31 (a 32-bit counter of an old
 * kernel or driver): *delta is then that increase. Otherwise it was reset (interface
 * re-created, driver reloaded): returns false, and the caller takes cur as its new baseline
 * and reports nothing this time, so a reset is never a negative or huge spike.
 */
bool tally_counter_delta(uint64_t prev, uint64_t cur, uint64_t *delta);

#endif
