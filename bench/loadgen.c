/*
 * loadgen: a DogStatsD load generator for benchmarks (bench/README.md).
 *
 * It builds every datagram once, before the clock starts, cycling through the metric names
 * (and the varying tag), then replays them with sendmmsg() over UDP or a Unix datagram socket,
 * paced with clock_nanosleep() in small batches when --rate is given. One thread; prints one
 * JSON line on stdout at the end:
 *   {"sent_metrics":N,"sent_datagrams":N,"seconds":S,"rate":R,"send_errors":N,"send_retries":N}
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sendmmsg, recvmmsg, SO_RCVBUFFORCE */
#endif

#include <netdb.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LG_BATCH_MAX  64     /* datagrams per sendmmsg() */
#define LG_BATCHES_PS 4000.0 /* at most this many paced batches per second */
#define LG_LINE_MAX   1024
#define LG_DGRAM_MAX  65507

struct lg_opts {
	const char *host;
	const char *port;
	const char *unix_path;
	const char *type;
	const char *tags; /* without the leading "|#", NULL for none */
	uint64_t total;
	uint64_t cardinality;
	uint64_t tag_cardinality;
	unsigned per_dgram; /* metrics per datagram, or 0 with dgram_bytes */
	size_t dgram_bytes;
	double rate;       /* metrics per second, 0: as fast as possible */
	double duration_s; /* with --rate and no --total: total = rate * duration */
};

/* The prebuilt datagrams: all in one buffer, datagram d is buf[off[d] .. off[d + 1]). */
struct lg_pool {
	char *buf;
	size_t len, cap;
	size_t *off;
	uint32_t *lines;
	size_t n, off_cap, lines_cap;
};

struct lg_stats {
	uint64_t metrics, dgrams, errors, retries;
	uint64_t attempted; /* metrics handed to the kernel or skipped after an error */
};

static void
lg_die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *
lg_grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 1024;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	p = realloc(p, n * elem);
	if (!p)
		lg_die("realloc");
	*cap = n;
	return p;
}

static int
lg_format_value(const struct lg_opts *o, uint64_t i, char *out, size_t len)
{
	if (!strcmp(o->type, "c"))
		return snprintf(out, len, "1");
	if (!strcmp(o->type, "s"))
		return snprintf(out, len, "u%" PRIu64, i % 1000);
	return snprintf(out, len, "%" PRIu64, i % 1000);
}

/* Line i of the cycle: name i % C, varying tag (i / C) % T, so the cycle has C * T contexts. */
static size_t
lg_format_line(const struct lg_opts *o, uint64_t i, char *out)
{
	char val[32];
	int n;

	lg_format_value(o, i, val, sizeof(val));
	n = snprintf(out, LG_LINE_MAX, "bench.m%" PRIu64 ":%s|%s", i % o->cardinality, val,
	             o->type);
	if (o->tags || o->tag_cardinality > 1)
		n += snprintf(out + n, LG_LINE_MAX - n, "|#%s", o->tags ? o->tags : "");
	if (o->tag_cardinality > 1)
		n += snprintf(out + n, LG_LINE_MAX - n, "%sk:%" PRIu64, o->tags ? "," : "",
		              (i / o->cardinality) % o->tag_cardinality);
	if (n >= LG_LINE_MAX) {
		fprintf(stderr, "loadgen: line longer than %d bytes\n", LG_LINE_MAX);
		exit(2);
	}
	return (size_t)n;
}

static void
lg_pool_close_dgram(struct lg_pool *p)
{
	p->n++;
	p->off = lg_grow(p->off, &p->off_cap, p->n + 1, sizeof(*p->off));
	p->lines = lg_grow(p->lines, &p->lines_cap, p->n + 1, sizeof(*p->lines));
	p->off[p->n] = p->len;
	p->lines[p->n] = 0;
}

static bool
lg_pool_fits(const struct lg_opts *o, const struct lg_pool *p, size_t line_len)
{
	size_t cur = p->len - p->off[p->n];

	if (p->lines[p->n] == 0)
		return true;
	if (o->per_dgram)
		return p->lines[p->n] < o->per_dgram;
	return cur + 1 + line_len <= o->dgram_bytes;
}

static void
lg_pool_add(const struct lg_opts *o, struct lg_pool *p, const char *line, size_t len)
{
	if (!lg_pool_fits(o, p, len))
		lg_pool_close_dgram(p);
	p->buf = lg_grow(p->buf, &p->cap, p->len + len + 1, 1);
	if (p->lines[p->n])
		p->buf[p->len++] = '\n';
	memcpy(p->buf + p->len, line, len);
	p->len += len;
	p->lines[p->n]++;
}

/* Builds one cycle: min(total, C * T) lines. */
static void
lg_pool_build(const struct lg_opts *o, struct lg_pool *p)
{
	uint64_t cycle = o->cardinality * o->tag_cardinality;
	uint64_t lines = cycle < o->total ? cycle : o->total;
	char line[LG_LINE_MAX];

	memset(p, 0, sizeof(*p));
	p->off = lg_grow(NULL, &p->off_cap, 1, sizeof(*p->off));
	p->lines = lg_grow(NULL, &p->lines_cap, 1, sizeof(*p->lines));
	p->off[0] = 0;
	p->lines[0] = 0;
	for (uint64_t i = 0; i < lines; i++) {
		size_t len = lg_format_line(o, i, line);

		if (!o->per_dgram && len > o->dgram_bytes) {
			fprintf(stderr, "loadgen: a %zu-byte line does not fit --datagram-bytes\n",
			        len);
			exit(2);
		}
		lg_pool_add(o, p, line, len);
	}
	lg_pool_close_dgram(p);
}

static int
lg_connect_udp(const struct lg_opts *o)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *ai;
	int sndbuf = 4 << 20;
	int fd, rc;

	rc = getaddrinfo(o->host, o->port, &hints, &ai);
	if (rc) {
		fprintf(stderr, "loadgen: %s:%s: %s\n", o->host, o->port, gai_strerror(rc));
		exit(1);
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		lg_die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen))
		lg_die("connect");
	freeaddrinfo(ai);
	return fd;
}

static int
lg_connect_unix(const struct lg_opts *o)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(o->unix_path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "loadgen: --unix path too long\n");
		exit(2);
	}
	strcpy(sun.sun_path, o->unix_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		lg_die("socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
		lg_die(o->unix_path);
	return fd;
}

/* Length of the first `lines` lines of a datagram, for the last, partial send. */
static size_t
lg_prefix_len(const char *d, size_t len, uint32_t lines)
{
	const char *p = d;

	while (lines--) {
		const char *nl = memchr(p, '\n', len - (size_t)(p - d));

		if (!nl)
			return len;
		p = nl + 1;
	}
	return (size_t)(p - d - 1);
}

struct lg_batch {
	struct mmsghdr msg[LG_BATCH_MAX];
	struct iovec iov[LG_BATCH_MAX];
	uint32_t lines[LG_BATCH_MAX];
	unsigned n;
};

/* Fills up to want datagrams from *cursor on, stopping at `left` metrics. */
static void
lg_batch_fill(struct lg_batch *b, const struct lg_pool *p, size_t *cursor, unsigned want,
              uint64_t left)
{
	memset(b->msg, 0, sizeof(b->msg[0]) * want);
	for (b->n = 0; b->n < want && left; b->n++) {
		size_t d = *cursor;
		char *base = p->buf + p->off[d];
		size_t len = p->off[d + 1] - p->off[d];
		uint32_t lines = p->lines[d];

		if (lines > left) {
			lines = (uint32_t)left;
			len = lg_prefix_len(base, len, lines);
		}
		b->iov[b->n] = (struct iovec){ .iov_base = base, .iov_len = len };
		b->msg[b->n].msg_hdr.msg_iov = &b->iov[b->n];
		b->msg[b->n].msg_hdr.msg_iovlen = 1;
		b->lines[b->n] = lines;
		left -= lines;
		*cursor = d + 1 == p->n ? 0 : d + 1;
	}
}

static void
lg_wait_writable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	poll(&pfd, 1, 10);
}

static void
lg_batch_send(int fd, bool is_unix, struct lg_batch *b, struct lg_stats *st)
{
	unsigned pos = 0;

	while (pos < b->n) {
		int r = sendmmsg(fd, b->msg + pos, b->n - pos, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && is_unix && (errno == EAGAIN || errno == ENOBUFS)) {
			st->retries++;
			lg_wait_writable(fd);
			continue;
		}
		if (r < 0) { /* the datagram at pos failed: count it, skip it */
			st->errors++;
			st->attempted += b->lines[pos++];
			continue;
		}
		for (int i = 0; i < r; i++, pos++) {
			st->metrics += b->lines[pos];
			st->attempted += b->lines[pos];
			st->dgrams++;
		}
	}
}

static uint64_t
lg_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

static uint64_t
lg_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return lg_ns(&t);
}

/* Sleeps until `done` metrics are due at `rate` per second after start_ns. */
static void
lg_pace(uint64_t start_ns, uint64_t done, double rate)
{
	uint64_t due = start_ns + (uint64_t)((double)done * 1e9 / rate);
	struct timespec ts = { .tv_sec = (time_t)(due / 1000000000u),
		               .tv_nsec = (long)(due % 1000000000u) };

	if (lg_now_ns() >= due)
		return;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static unsigned
lg_batch_size(const struct lg_opts *o, const struct lg_pool *p)
{
	double per_dgram = (double)p->lines[0];
	double batch;

	if (o->rate <= 0)
		return LG_BATCH_MAX;
	batch = o->rate / per_dgram / LG_BATCHES_PS;
	if (batch < 1)
		return 1;
	return batch > LG_BATCH_MAX ? LG_BATCH_MAX : (unsigned)batch;
}

static void
lg_run(const struct lg_opts *o, const struct lg_pool *p, int fd, struct lg_stats *st,
       double *seconds)
{
	unsigned want = lg_batch_size(o, p);
	uint64_t start = lg_now_ns();
	struct lg_batch b;
	size_t cursor = 0;

	while (st->attempted < o->total) {
		if (o->rate > 0)
			lg_pace(start, st->attempted, o->rate);
		lg_batch_fill(&b, p, &cursor, want, o->total - st->attempted);
		lg_batch_send(fd, o->unix_path != NULL, &b, st);
	}
	*seconds = (double)(lg_now_ns() - start) / 1e9;
}

static void
lg_usage(FILE *f)
{
	fprintf(f, "usage: loadgen [--host 127.0.0.1] [--port 8125] [--unix PATH]\n"
	           "  [--total N] [--per-datagram K | --datagram-bytes B] [--cardinality C]\n"
	           "  [--type c|g|ms|h|s|d] [--tags a:b,c:d] [--tag-cardinality T]\n"
	           "  [--rate METRICS_PER_S] [--duration S]\n");
}

static uint64_t
lg_num(const char *s, const char *opt)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < 0) {
		fprintf(stderr, "loadgen: bad number for %s: %s\n", opt, s);
		exit(2);
	}
	return (uint64_t)v;
}

static const struct option lg_longopts[] = {
	{ "host", required_argument, NULL, 'H' },
	{ "port", required_argument, NULL, 'p' },
	{ "unix", required_argument, NULL, 'u' },
	{ "total", required_argument, NULL, 'n' },
	{ "per-datagram", required_argument, NULL, 'k' },
	{ "datagram-bytes", required_argument, NULL, 'b' },
	{ "cardinality", required_argument, NULL, 'C' },
	{ "type", required_argument, NULL, 't' },
	{ "tags", required_argument, NULL, 'g' },
	{ "tag-cardinality", required_argument, NULL, 'T' },
	{ "rate", required_argument, NULL, 'r' },
	{ "duration", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
lg_set(struct lg_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'H':
		o->host = arg;
		break;
	case 'p':
		o->port = arg;
		break;
	case 'u':
		o->unix_path = arg;
		break;
	case 'n':
		o->total = lg_num(arg, "--total");
		break;
	case 'k':
		o->per_dgram = (unsigned)lg_num(arg, "--per-datagram");
		o->dgram_bytes = 0;
		break;
	case 'b':
		o->dgram_bytes = lg_num(arg, "--datagram-bytes");
		o->per_dgram = 0;
		break;
	case 'C':
		o->cardinality = lg_num(arg, "--cardinality");
		break;
	case 't':
		o->type = arg;
		break;
	case 'g':
		o->tags = *arg ? arg : NULL;
		break;
	case 'T':
		o->tag_cardinality = lg_num(arg, "--tag-cardinality");
		break;
	case 'r':
		o->rate = (double)lg_num(arg, "--rate");
		break;
	case 'd':
		o->duration_s = strtod(arg, NULL);
		break;
	case 'h':
		lg_usage(stdout);
		exit(0);
	default:
		lg_usage(stderr);
		exit(2);
	}
}

static bool
lg_type_ok(const char *t)
{
	static const char *const types[] = { "c", "g", "ms", "h", "s", "d" };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strcmp(t, types[i]))
			return true;
	}
	return false;
}

static void
lg_parse(struct lg_opts *o, int argc, char **argv)
{
	int c;

	*o = (struct lg_opts){ .host = "127.0.0.1",
		               .port = "8125",
		               .type = "c",
		               .cardinality = 1000,
		               .tag_cardinality = 1,
		               .per_dgram = 1 };
	while ((c = getopt_long(argc, argv, "", lg_longopts, NULL)) != -1)
		lg_set(o, c, optarg);
	if (!o->total) /* not given: rate * duration, or a million */
		o->total = o->rate > 0 && o->duration_s > 0 ? (uint64_t)(o->rate * o->duration_s)
		                                            : 1000000;
	if (!lg_type_ok(o->type) || !o->cardinality || !o->tag_cardinality || !o->total ||
	    (!o->per_dgram && (o->dgram_bytes < 16 || o->dgram_bytes > LG_DGRAM_MAX))) {
		fprintf(stderr, "loadgen: bad option value\n");
		lg_usage(stderr);
		exit(2);
	}
	if (o->cardinality > UINT64_MAX / o->tag_cardinality)
		o->tag_cardinality = UINT64_MAX / o->cardinality;
}

int
main(int argc, char **argv)
{
	struct lg_stats st = { 0 };
	struct lg_opts o;
	struct lg_pool p;
	double seconds;
	int fd;

	lg_parse(&o, argc, argv);
	lg_pool_build(&o, &p);
	fd = o.unix_path ? lg_connect_unix(&o) : lg_connect_udp(&o);
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	lg_run(&o, &p, fd, &st, &seconds);
	printf("{\"sent_metrics\":%" PRIu64 ",\"sent_datagrams\":%" PRIu64
	       ",\"seconds\":%.3f,\"rate\":%.0f,\"send_errors\":%" PRIu64
	       ",\"send_retries\":%" PRIu64 "}\n",
	       st.metrics, st.dgrams, seconds, seconds > 0 ? (double)st.metrics / seconds : 0.0,
	       st.errors, st.retries);
	close(fd);
	free(p.buf);
	free(p.off);
	free(p.lines);
	return 0;
}
