/*
 * target: reading one namespace and turning two readings into per-second rates.
 */
#include "target.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockdiag.h"

/* Interface metrics, Datadog's names, per second. */
static const struct {
	enum tally_netdev_col col;
	const char *name;
} dev_metrics[] = {
	{ TALLY_NETDEV_RX_BYTES, "system.net.bytes_rcvd" },
	{ TALLY_NETDEV_TX_BYTES, "system.net.bytes_sent" },
	{ TALLY_NETDEV_RX_PACKETS, "system.net.packets_in.count" },
	{ TALLY_NETDEV_TX_PACKETS, "system.net.packets_out.count" },
	{ TALLY_NETDEV_RX_ERRS, "system.net.packets_in.error" },
	{ TALLY_NETDEV_TX_ERRS, "system.net.packets_out.error" },
	{ TALLY_NETDEV_RX_DROP, "system.net.packets_in.drop" },
	{ TALLY_NETDEV_TX_DROP, "system.net.packets_out.drop" },
};

/*
 * Protocol metrics, per second. UDP counts IPv4 (net/snmp) plus IPv6 (net/snmp6) datagrams,
 * as Linux's Tcp: counters already do for TCP, so a StatsD port on :: is covered too.
 */
#define NO_V6 (-1)
static const struct {
	const char *name;
	int id, id6;
} proto_metrics[] = {
	{ "system.net.tcp.retrans_segs", TALLY_NP_TCP_RETRANS_SEGS, NO_V6 },
	{ "system.net.tcp.in_segs", TALLY_NP_TCP_IN_SEGS, NO_V6 },
	{ "system.net.tcp.out_segs", TALLY_NP_TCP_OUT_SEGS, NO_V6 },
	{ "system.net.tcp.active_opens", TALLY_NP_TCP_ACTIVE_OPENS, NO_V6 },
	{ "system.net.tcp.passive_opens", TALLY_NP_TCP_PASSIVE_OPENS, NO_V6 },
	{ "system.net.tcp.attempt_fails", TALLY_NP_TCP_ATTEMPT_FAILS, NO_V6 },
	{ "system.net.tcp.estab_resets", TALLY_NP_TCP_ESTAB_RESETS, NO_V6 },
	{ "system.net.tcp.listen_overflows", TALLY_NP_TCPEXT_LISTEN_OVERFLOWS, NO_V6 },
	{ "system.net.tcp.listen_drops", TALLY_NP_TCPEXT_LISTEN_DROPS, NO_V6 },
	{ "system.net.udp.in_datagrams", TALLY_NP_UDP_IN_DATAGRAMS, TALLY_NP_UDP6_IN_DATAGRAMS },
	{ "system.net.udp.out_datagrams", TALLY_NP_UDP_OUT_DATAGRAMS, TALLY_NP_UDP6_OUT_DATAGRAMS },
	{ "system.net.udp.in_errors", TALLY_NP_UDP_IN_ERRORS, TALLY_NP_UDP6_IN_ERRORS },
	{ "system.net.udp.no_ports", TALLY_NP_UDP_NO_PORTS, TALLY_NP_UDP6_NO_PORTS },
	{ "system.net.udp.rcv_buf_errors", TALLY_NP_UDP_RCVBUF_ERRORS,
	  TALLY_NP_UDP6_RCVBUF_ERRORS },
	{ "system.net.udp.snd_buf_errors", TALLY_NP_UDP_SNDBUF_ERRORS,
	  TALLY_NP_UDP6_SNDBUF_ERRORS },
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
net_target_init(struct net_target *t, const char *spec, const char *procfs_root,
                const char *netns_dir)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->diag_fd = -1;
	t->prev_s = -1;
	rc = tally_netns_init(&t->ns, spec, procfs_root, netns_dir);
	if (rc < 0)
		return rc;
	if (spec && *spec) {
		size_t n = strlen(spec) + sizeof("netns:");

		t->tag = malloc(n);
		if (!t->tag) {
			tally_netns_free(&t->ns);
			return -ENOMEM;
		}
		snprintf(t->tag, n, "netns:%s", spec);
	}
	return 0;
}

static void
close_diag(struct net_target *t)
{
	if (t->diag_fd >= 0)
		close(t->diag_fd);
	t->diag_fd = -1;
}

void
net_target_free(struct net_target *t)
{
	close_diag(t);
	tally_netns_free(&t->ns);
	tally_netdev_set_free(&t->devs[0]);
	tally_netdev_set_free(&t->devs[1]);
	free(t->tag);
	t->tag = NULL;
}

static bool
excluded(const struct net_filter *f, const char *name)
{
	for (size_t i = 0; f->excluded && i < f->excluded->n; i++) {
		if (strcmp(f->excluded->items[i], name) == 0)
			return true;
	}
	return f->excluded_re && regexec(f->excluded_re, name, 0, NULL, 0) == 0;
}

/* The previous reading of the interface at index i of cur, if it had one. */
static const struct tally_netdev *
prev_dev(const struct tally_netdev_set *prev, const struct tally_netdev_set *cur, size_t i)
{
	/* Interfaces keep their order between readings: try the same index first. */
	if (i < prev->n && strcmp(prev->dev[i].name, cur->dev[i].name) == 0)
		return &prev->dev[i];
	return tally_netdev_find(prev, cur->dev[i].name);
}

struct submit {
	const struct tally_check_ops *ops;
	struct tally_check_ctx *ctx;
	const char *tags[2];
	size_t n_tags;
};

static void
submit_devs(struct net_target *t, const struct net_filter *f, struct submit *s, double dt)
{
	const struct tally_netdev_set *cur = &t->devs[t->cur], *prev = &t->devs[!t->cur];
	char dev_tag[TALLY_NETDEV_NAME_MAX + 8];

	for (size_t i = 0; i < cur->n; i++) {
		const struct tally_netdev *c = &cur->dev[i], *p;

		if (excluded(f, c->name))
			continue;
		p = prev_dev(prev, cur, i);
		if (!p) /* appeared since the last run: this reading is its baseline */
			continue;
		snprintf(dev_tag, sizeof(dev_tag), "device:%s", c->name);
		s->tags[0] = dev_tag;
		for (size_t m = 0; m < sizeof(dev_metrics) / sizeof(dev_metrics[0]); m++) {
			uint32_t bit = 1u << dev_metrics[m].col;
			uint64_t d;

			if (!(c->have & p->have & bit) ||
			    !tally_counter_delta(p->v[dev_metrics[m].col], c->v[dev_metrics[m].col],
			                         &d))
				continue;
			s->ops->gauge(s->ctx, dev_metrics[m].name, (double)d / dt, s->tags,
			              s->n_tags);
		}
	}
}

static bool
proto_delta(const struct tally_netproto *p, const struct tally_netproto *c, int id, uint64_t *d)
{
	uint64_t bit = 1ull << id;

	return (p->have & c->have & bit) && tally_counter_delta(p->v[id], c->v[id], d);
}

static void
submit_proto(struct net_target *t, struct submit *s, double dt)
{
	const struct tally_netproto *c = &t->proto[t->cur], *p = &t->proto[!t->cur];
	const char *const *tags = s->tags + 1; /* no device: tag */
	size_t n_tags = s->n_tags - 1;

	for (size_t m = 0; m < sizeof(proto_metrics) / sizeof(proto_metrics[0]); m++) {
		uint64_t d, d6 = 0;
		int id6 = proto_metrics[m].id6;

		if (!proto_delta(p, c, proto_metrics[m].id, &d))
			continue;
		/* IPv6 absent (no net/snmp6): IPv4 alone; reset: no rate this time */
		if (id6 != NO_V6 && (c->have & (1ull << id6)) && !proto_delta(p, c, id6, &d6))
			continue;
		s->ops->gauge(s->ctx, proto_metrics[m].name, (double)(d + d6) / dt, tags, n_tags);
	}
}

static void
submit_gauges(struct net_target *t, struct submit *s)
{
	const struct tally_netproto *c = &t->proto[t->cur];

	if (c->have & (1ull << TALLY_NP_TCP_CURR_ESTAB))
		s->ops->gauge(s->ctx, "system.net.tcp.current_established",
		              (double)c->v[TALLY_NP_TCP_CURR_ESTAB], s->tags + 1, s->n_tags - 1);
}

/* The sock_diag socket, made in this namespace, remade when the namespace changed. */
static int
diag_socket(struct net_target *t)
{
	struct timeval tv = { .tv_sec = 2 };
	uint64_t dev = 0, ino = 0;
	int fd;

	if (t->diag_fd >= 0 && (t->ns.kind == TALLY_NETNS_SELF || t->diag_ino == t->ns.ns_ino))
		return 0;
	close_diag(t);
	fd = tally_netns_socket(t->ns.kind == TALLY_NETNS_SELF ? NULL : t->ns.ns_path, AF_NETLINK,
	                        SOCK_DGRAM, NETLINK_SOCK_DIAG, &dev, &ino);
	if (fd < 0)
		return fd;
	/* A kernel that never answers must not hold the run past its timeout. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t->diag_fd = fd;
	t->diag_ino = ino;
	return 0;
}

/* One family's gauges: each state with a name of its own, then Datadog's groups. */
static void
submit_counts(struct submit *s, const char *prefix, const uint32_t counts[NET_TCP_NSTATES])
{
	uint32_t groups[NET_TCP_NGROUPS] = { 0 };
	char name[64];

	for (int st = 1; st < NET_TCP_NSTATES; st++) {
		int g = net_tcp_group_of(st);

		if (g >= 0)
			groups[g] += counts[st];
		if (!net_tcp_state_name(st))
			continue;
		snprintf(name, sizeof(name), "%s%s", prefix, net_tcp_state_name(st));
		s->ops->gauge(s->ctx, name, counts[st], s->tags + 1, s->n_tags - 1);
	}
	for (int g = 0; g < NET_TCP_NGROUPS; g++) {
		snprintf(name, sizeof(name), "%s%s", prefix, net_tcp_group_name(g));
		s->ops->gauge(s->ctx, name, groups[g], s->tags + 1, s->n_tags - 1);
	}
}

static void
submit_states(struct net_target *t, struct submit *s)
{
	/* TCP by state; UDP sockets counted whatever their state, as Datadog's udp4.connections */
	static const struct {
		int family, protocol;
		const char *prefix;
	} dumps[] = {
		{ AF_INET, IPPROTO_TCP, "system.net.tcp4." },
		{ AF_INET6, IPPROTO_TCP, "system.net.tcp6." },
		{ AF_INET, IPPROTO_UDP, "system.net.udp4.connections" },
		{ AF_INET6, IPPROTO_UDP, "system.net.udp6.connections" },
	};
	uint32_t counts[NET_TCP_NSTATES];
	int rc = diag_socket(t);

	for (size_t i = 0; rc == 0 && i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		double total = 0;

		rc = net_sockdiag_count(t->diag_fd, dumps[i].family, dumps[i].protocol, counts);
		if (rc == -EAFNOSUPPORT || rc == -ENOENT) { /* no IPv6 (or UDP diag) here */
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		if (dumps[i].protocol == IPPROTO_TCP) {
			submit_counts(s, dumps[i].prefix, counts);
			continue;
		}
		for (int st = 0; st < NET_TCP_NSTATES; st++)
			total += counts[st];
		s->ops->gauge(s->ctx, dumps[i].prefix, total, s->tags + 1, s->n_tags - 1);
	}
	if (rc < 0) {
		s->ops->log(s->ctx, TALLY_CHECK_LOG_WARN, "sock_diag failed netns=%s err=%s",
		            t->ns.spec ? t->ns.spec : "host", strerror(-rc));
		close_diag(t); /* a half-read dump must not feed the next one */
	}
}

/* Reads the namespace now into the next slot; false (and logged once) when absent. */
static int
read_now(struct net_target *t, const struct tally_check_ops *ops, struct tally_check_ctx *ctx)
{
	int next = !t->cur;
	int rc = tally_netns_read(&t->ns, &t->devs[next], &t->proto[next]);

	if (rc < 0) {
		const char *spec = t->ns.spec ? t->ns.spec : "host";

		t->prev_s = -1; /* when it is back, its first reading is a baseline */
		if (t->ns.kind == TALLY_NETNS_SELF)
			return rc;
		if (!t->missing)
			ops->log(ctx, TALLY_CHECK_LOG_WARN, "namespace unreadable netns=%s err=%s",
			         spec, strerror(-rc));
		t->missing = true;
		return rc;
	}
	if (t->missing)
		ops->log(ctx, TALLY_CHECK_LOG_INFO, "namespace back netns=%s", t->ns.spec);
	t->missing = false;
	t->cur = next;
	return 0;
}

int
net_target_run(struct net_target *t, const struct net_filter *f, const struct tally_check_ops *ops,
               struct tally_check_ctx *ctx)
{
	struct submit s = { ops, ctx, { NULL, t->tag }, t->tag ? 2 : 1 };
	double now = now_s(), dt = now - t->prev_s;
	bool have_prev = t->prev_s >= 0;
	uint64_t ino = t->ns.ns_ino;
	int rc = read_now(t, ops, ctx);

	if (rc < 0)
		return t->ns.kind == TALLY_NETNS_SELF ? rc : 0;
	/* Another namespace under the same name (re-created, pid reused): a new baseline. */
	if (ino != t->ns.ns_ino)
		have_prev = false;
	t->prev_s = now;
	if (have_prev && dt > 0) {
		submit_devs(t, f, &s, dt);
		submit_proto(t, &s, dt);
	}
	submit_gauges(t, &s);
	if (f->connection_state)
		submit_states(t, &s);
	return 0;
}
