/*
 * ctrstats.c: net/dev parsing and the stats-API fallback (see ctrstats.h).
 */
#include "ctrstats.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "procnet.h"

#define NETDEV_MAX 65536

size_t
docker_netdev_parse(const char *text, struct docker_sample *s)
{
	struct tally_netdev_set set = { 0 };

	s->n_if = 0;
	s->has_net = false;
	/* the network library's parser finds the columns by the header's names */
	if (tally_netdev_parse(text, strlen(text), &set) < 0)
		return 0;
	for (size_t i = 0; i < set.n && s->n_if < DOCKER_MAX_IFS; i++) {
		const struct tally_netdev *d = &set.dev[i];
		struct docker_netif *f;

		/* the engine reports only the interfaces it created: not lo */
		if (strcmp(d->name, "lo") == 0 || !(d->have & (1u << TALLY_NETDEV_RX_BYTES)))
			continue;
		f = &s->ifs[s->n_if++];
		snprintf(f->name, sizeof(f->name), "%s", d->name);
		f->rx_bytes = d->v[TALLY_NETDEV_RX_BYTES];
		f->tx_bytes = d->v[TALLY_NETDEV_TX_BYTES];
	}
	tally_netdev_set_free(&set);
	s->has_net = true;
	return s->n_if;
}

int
docker_netdev_read(const char *procfs_root, int pid, struct docker_sample *s)
{
	char path[512], *buf;
	ssize_t n, got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/net/dev", procfs_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(NETDEV_MAX);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < NETDEV_MAX - 1 && (n = read(fd, buf + got, NETDEV_MAX - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	docker_netdev_parse(buf, s);
	free(buf);
	return 0;
}

static struct docker_netif *
find_if(struct docker_sample *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n_if; i++)
		if (strlen(s->ifs[i].name) == len && memcmp(s->ifs[i].name, name, len) == 0)
			return &s->ifs[i];
	return NULL;
}

/* net/route lines: "Iface Destination Gateway Flags RefCnt Use Metric Mask ...", hex. */
static void
map_routes(const char *text, const struct docker_net *net, uint32_t subnet, uint32_t mask,
           struct docker_sample *s)
{
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		char ifname[32];
		unsigned dest, gw, flags, refcnt, use, metric, rmask;

		if (sscanf(line, "%31s %x %x %x %u %u %u %x", ifname, &dest, &gw, &flags, &refcnt,
		           &use, &metric, &rmask) == 8 &&
		    dest == subnet && rmask == mask) {
			struct docker_netif *f = find_if(s, ifname, strlen(ifname));

			if (f && !f->network[0])
				snprintf(f->network, sizeof(f->network), "%s", net->name);
		}
		line = eol ? eol + 1 : NULL;
	}
}

void
docker_netmap(const char *route_text, const struct docker_net *nets, size_t n_nets,
              struct docker_sample *s)
{
	if (n_nets == 1 && s->n_if == 1) {
		snprintf(s->ifs[0].network, sizeof(s->ifs[0].network), "%s", nets[0].name);
		return;
	}
	for (size_t i = 0; route_text && i < n_nets; i++) {
		struct in_addr a;
		uint32_t raw, mask;

		if (!nets[i].ip[0] || nets[i].prefix_len <= 0 || nets[i].prefix_len > 32 ||
		    inet_pton(AF_INET, nets[i].ip, &a) != 1)
			continue;
		/* the route file prints the address's bytes as one host-order number */
		memcpy(&raw, &a, sizeof(raw));
		mask = htonl(nets[i].prefix_len == 32 ? ~0u : ~(~0u >> nets[i].prefix_len));
		map_routes(route_text, &nets[i], raw & mask, mask, s);
	}
}

void
docker_netmap_pid(const char *procfs_root, int pid, const struct docker_net *nets, size_t n_nets,
                  struct docker_sample *s)
{
	char path[512], buf[16384];
	ssize_t n = -1;
	int fd;

	if (n_nets == 0 || s->n_if == 0)
		return;
	snprintf(path, sizeof(path), "%s/%d/net/route", procfs_root, pid);
	fd = pid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n >= 0)
		buf[n] = '\0';
	docker_netmap(n >= 0 ? buf : NULL, nets, n_nets, s);
}

static struct json_object *
jget(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x = NULL;

	if (!json_object_object_get_ex(o, a, &x))
		return NULL;
	if (b && !json_object_object_get_ex(x, b, &x))
		return NULL;
	return x;
}

static uint64_t
ju64(struct json_object *o)
{
	return o ? (uint64_t)json_object_get_int64(o) : 0;
}

/* memory_stats.stats: v1 names (total_*) first, then v2's. */
static uint64_t
memstat(struct json_object *st, const char *v1, const char *v2)
{
	struct json_object *x = NULL;

	if (json_object_object_get_ex(st, v1, &x) || json_object_object_get_ex(st, v2, &x))
		return ju64(x);
	return 0;
}

static void
cg_from_api(struct json_object *j, struct tally_cg_stats *cg)
{
	struct json_object *cu = jget(j, "cpu_stats", "cpu_usage"), *th;
	struct json_object *mem = jget(j, "memory_stats", NULL), *ms = jget(mem, "stats", NULL);
	struct json_object *io = jget(j, "blkio_stats", "io_service_bytes_recursive");

	if (cu) {
		cg->cpu_usage_ns = ju64(jget(cu, "total_usage", NULL));
		cg->cpu_user_ns = ju64(jget(cu, "usage_in_usermode", NULL));
		cg->cpu_system_ns = ju64(jget(cu, "usage_in_kernelmode", NULL));
		cg->has |= TALLY_CG_HAS_CPU | TALLY_CG_HAS_CPU_US;
	}
	th = jget(j, "cpu_stats", "throttling_data");
	if (th) {
		cg->cpu_nr_periods = ju64(jget(th, "periods", NULL));
		cg->cpu_nr_throttled = ju64(jget(th, "throttled_periods", NULL));
		cg->cpu_throttled_ns = ju64(jget(th, "throttled_time", NULL));
		cg->has |= TALLY_CG_HAS_THROTTLE;
	}
	if (mem && jget(mem, "usage", NULL)) {
		cg->mem_usage = ju64(jget(mem, "usage", NULL));
		cg->mem_limit = ju64(jget(mem, "limit", NULL));
		cg->has |= TALLY_CG_HAS_MEM | TALLY_CG_HAS_MEM_LIMIT;
	}
	if (ms) {
		cg->mem_rss = memstat(ms, "total_rss", "anon");
		cg->mem_cache = memstat(ms, "total_cache", "file");
		cg->mem_inactive_file = memstat(ms, "total_inactive_file", "inactive_file");
		cg->has |= TALLY_CG_HAS_MEM_STAT;
	}
	if (io && json_object_is_type(io, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(io); i++) {
			struct json_object *e = json_object_array_get_idx(io, i);
			const char *op = json_object_get_string(jget(e, "op", NULL));

			/* the CLI's rule: op starting with r/R is read, w/W write */
			if (op && (op[0] == 'r' || op[0] == 'R'))
				cg->io_read_bytes += ju64(jget(e, "value", NULL));
			else if (op && (op[0] == 'w' || op[0] == 'W'))
				cg->io_write_bytes += ju64(jget(e, "value", NULL));
		}
		cg->has |= TALLY_CG_HAS_IO;
	}
	if (jget(j, "pids_stats", "current")) {
		cg->pids_current = ju64(jget(j, "pids_stats", "current"));
		cg->has |= TALLY_CG_HAS_PIDS;
		cg->pids_limit = ju64(jget(j, "pids_stats", "limit"));
		if (cg->pids_limit > 0 && cg->pids_limit < (1ull << 62))
			cg->has |= TALLY_CG_HAS_PIDS_LIMIT;
	}
}

static void
net_from_api(struct json_object *j, struct docker_sample *s)
{
	struct json_object *nets = jget(j, "networks", NULL);

	if (!nets || !json_object_is_type(nets, json_type_object))
		return;
	s->n_if = 0;
	json_object_object_foreach(nets, name, v)
	{
		struct docker_netif *f;

		if (s->n_if >= DOCKER_MAX_IFS)
			break;
		f = &s->ifs[s->n_if++];
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->rx_bytes = ju64(jget(v, "rx_bytes", NULL));
		f->tx_bytes = ju64(jget(v, "tx_bytes", NULL));
	}
	s->has_net = true;
	s->net_from_api = true;
}

void
docker_sample_from_api(struct json_object *stats, struct docker_sample *s)
{
	if (!s->cg.has) {
		cg_from_api(stats, &s->cg);
		s->cg_from_api = true;
	}
	if (!s->has_net)
		net_from_api(stats, s);
}

uint64_t
docker_sample_rx(const struct docker_sample *s)
{
	uint64_t t = 0;

	for (size_t i = 0; i < s->n_if; i++)
		t += s->ifs[i].rx_bytes;
	return t;
}

uint64_t
docker_sample_tx(const struct docker_sample *s)
{
	uint64_t t = 0;

	for (size_t i = 0; i < s->n_if; i++)
		t += s->ifs[i].tx_bytes;
	return t;
}
