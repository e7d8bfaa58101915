/*
 * floor: the "floor receiver" for benchmarks (bench/README.md): the least work a DogStatsD
 * server must do. It binds UDP, reads with recvmmsg() (64 x 8 KiB) and only counts datagrams,
 * bytes and metrics (non-empty '\n'-separated lines), plus the kernel's drops for the socket
 * (SO_RXQ_OVFL, and /proc/net/udp at report time).
 *
 * One thread. Prints one JSON line on stdout
 *   {"datagrams":N,"metrics":N,"bytes":N,"kernel_drops":N,"truncated":N,"seconds":S,"rcvbuf":N}
 * on SIGUSR1 (then resets the counters, so each line covers the time since the previous one)
 * and on exit: SIGTERM, SIGINT, or --idle-exit seconds without traffic.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sendmmsg, recvmmsg, SO_RCVBUFFORCE */
#endif

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FL_BATCH   64
#define FL_BUF     8192
#define FL_POLL_MS 200 /* SO_RCVTIMEO: how often signals and idleness are looked at */

struct fl_opts {
	const char *host;
	const char *port;
	const char *ready_file;
	int rcvbuf;
	double idle_exit_s;
};

struct fl_counts {
	uint64_t dgrams, metrics, bytes, truncated;
	uint32_t drops_seen; /* cumulative socket drop counter, from SO_RXQ_OVFL */
	uint64_t drops_base; /* drop counter at the last reset */
	double start_s;
};

struct fl_rx {
	struct mmsghdr msg[FL_BATCH];
	struct iovec iov[FL_BATCH];
	char ctl[FL_BATCH][CMSG_SPACE(sizeof(uint32_t))];
	char buf[FL_BATCH][FL_BUF];
};

static volatile sig_atomic_t fl_stop;
static volatile sig_atomic_t fl_report;

static void
fl_on_signal(int sig)
{
	if (sig == SIGUSR1)
		fl_report = 1;
	else
		fl_stop = 1;
}

static void
fl_die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double
fl_now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
fl_set_rcvbuf(int fd, int bytes)
{
	if (bytes <= 0)
		return;
	/* SO_RCVBUFFORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)))
		fl_die("SO_RCVBUF");
}

static void
fl_set_options(int fd, int rcvbuf)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = FL_POLL_MS * 1000 };
	int one = 1;

	fl_set_rcvbuf(fd, rcvbuf);
	if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)))
		fl_die("SO_RXQ_OVFL");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		fl_die("SO_RCVTIMEO");
}

static int
fl_bind(const struct fl_opts *o, int *family)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
		                  .ai_socktype = SOCK_DGRAM,
		                  .ai_flags = AI_PASSIVE };
	struct addrinfo *ai;
	int fd, rc;

	rc = getaddrinfo(o->host, o->port, &hints, &ai);
	if (rc) {
		fprintf(stderr, "floor: %s:%s: %s\n", o->host, o->port, gai_strerror(rc));
		exit(1);
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fl_die("socket");
	fl_set_options(fd, o->rcvbuf);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen))
		fl_die("bind");
	*family = ai->ai_family;
	freeaddrinfo(ai);
	return fd;
}

static int
fl_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		fl_die("getsockname");
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Writes "PORT PID\n" to path (via a rename, so readers never see half a file). */
static void
fl_write_ready(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		fl_die(tmp);
	fprintf(f, "%d %ld\n", port, (long)getpid());
	if (fclose(f) || rename(tmp, path))
		fl_die(path);
}

/* The "drops" column of our socket's line in /proc/net/udp[6], or 0. */
static uint64_t
fl_proc_drops(int fd, int family)
{
	const char *path = family == AF_INET6 ? "/proc/net/udp6" : "/proc/net/udp";
	unsigned long long drops = 0;
	char line[512];
	struct stat st;
	FILE *f;

	if (fstat(fd, &st) || !(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long inode;
		unsigned long long d;

		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %lu %*s %*s %llu", &inode,
		           &d) == 2 &&
		    inode == (unsigned long)st.st_ino) {
			drops = d;
			break;
		}
	}
	fclose(f);
	return drops;
}

static uint64_t
fl_drops_now(const struct fl_counts *c, int fd, int family)
{
	uint64_t proc = fl_proc_drops(fd, family);

	return proc > c->drops_seen ? proc : c->drops_seen;
}

/* Prints the counters since the last report as one JSON line, then resets them. */
static void
fl_report_and_reset(struct fl_counts *c, int fd, int family)
{
	uint64_t drops = fl_drops_now(c, fd, family);
	uint32_t seen = c->drops_seen;
	int rcvbuf = 0;
	socklen_t len = sizeof(rcvbuf);

	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
	printf("{\"datagrams\":%" PRIu64 ",\"metrics\":%" PRIu64 ",\"bytes\":%" PRIu64
	       ",\"kernel_drops\":%" PRIu64 ",\"truncated\":%" PRIu64
	       ",\"seconds\":%.3f,\"rcvbuf\":%d}\n",
	       c->dgrams, c->metrics, c->bytes, drops - c->drops_base, c->truncated,
	       fl_now_s() - c->start_s, rcvbuf);
	fflush(stdout);
	*c = (struct fl_counts){ .drops_seen = seen, .drops_base = drops, .start_s = fl_now_s() };
}

static uint64_t
fl_count_lines(const char *p, size_t len)
{
	const char *end = p + len;
	uint64_t n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		n += eol > p;
		p = eol + 1;
	}
	return n;
}

static void
fl_rx_arm(struct fl_rx *rx)
{
	for (int i = 0; i < FL_BATCH; i++) {
		struct msghdr *h = &rx->msg[i].msg_hdr;

		rx->iov[i] = (struct iovec){ .iov_base = rx->buf[i], .iov_len = FL_BUF };
		*h = (struct msghdr){ .msg_iov = &rx->iov[i],
			              .msg_iovlen = 1,
			              .msg_control = rx->ctl[i],
			              .msg_controllen = sizeof(rx->ctl[i]) };
	}
}

static void
fl_take_drops(struct fl_counts *c, struct msghdr *h)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm)) {
		uint32_t v;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SO_RXQ_OVFL)
			continue;
		memcpy(&v, CMSG_DATA(cm), sizeof(v));
		if (v > c->drops_seen)
			c->drops_seen = v;
	}
}

static void
fl_account(struct fl_counts *c, struct fl_rx *rx, int n)
{
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &rx->msg[i].msg_hdr;
		size_t len = rx->msg[i].msg_len;

		if (len > FL_BUF)
			len = FL_BUF;
		c->dgrams++;
		c->bytes += rx->msg[i].msg_len;
		c->truncated += (h->msg_flags & MSG_TRUNC) != 0;
		c->metrics += fl_count_lines(rx->buf[i], len);
		if (h->msg_controllen)
			fl_take_drops(c, h);
		h->msg_controllen = sizeof(rx->ctl[i]);
	}
}

static void
fl_loop(const struct fl_opts *o, int fd, int family, struct fl_counts *c)
{
	static struct fl_rx rx;
	double last_traffic = fl_now_s();

	fl_rx_arm(&rx);
	while (!fl_stop) {
		int n = recvmmsg(fd, rx.msg, FL_BATCH, MSG_WAITFORONE, NULL);

		if (n > 0) {
			fl_account(c, &rx, n);
			last_traffic = fl_now_s();
		}
		if (fl_report) { /* after fl_account: what was read counts before the signal */
			fl_report = 0;
			fl_report_and_reset(c, fd, family);
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			fl_die("recvmmsg");
		if (n < 0 && o->idle_exit_s > 0 && fl_now_s() - last_traffic >= o->idle_exit_s)
			break;
	}
}

static void
fl_signals(void)
{
	struct sigaction sa = { .sa_handler = fl_on_signal }; /* no SA_RESTART: wake recvmmsg */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

static void
fl_usage(FILE *f)
{
	fprintf(f, "usage: floor [--host 127.0.0.1] [--port 8125] [--rcvbuf BYTES]\n"
	           "  [--idle-exit SECONDS] [--ready-file PATH]\n");
}

static void
fl_set(struct fl_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'H':
		o->host = arg;
		break;
	case 'p':
		o->port = arg;
		break;
	case 'r':
		o->rcvbuf = (int)strtol(arg, NULL, 10);
		break;
	case 'i':
		o->idle_exit_s = strtod(arg, NULL);
		break;
	case 'f':
		o->ready_file = arg;
		break;
	case 'h':
		fl_usage(stdout);
		exit(0);
	default:
		fl_usage(stderr);
		exit(2);
	}
}

static void
fl_parse(struct fl_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "idle-exit", required_argument, NULL, 'i' },
		{ "ready-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct fl_opts){ .host = "127.0.0.1", .port = "8125" };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		fl_set(o, c, optarg);
}

int
main(int argc, char **argv)
{
	struct fl_counts c = { 0 };
	struct fl_opts o;
	int fd, family;

	fl_parse(&o, argc, argv);
	fl_signals();
	fd = fl_bind(&o, &family);
	if (o.ready_file)
		fl_write_ready(o.ready_file, fl_bound_port(fd));
	c.start_s = fl_now_s();
	fl_loop(&o, fd, family, &c);
	fl_report_and_reset(&c, fd, family);
	close(fd);
	return 0;
}
