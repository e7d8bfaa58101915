/*
 * ctrstats.h: one running container's raw counters, read from the host's files (the cgroup
 * library, <procfs_root>/<pid>/net/dev) or, for what those cannot give, from the engine's
 * stats API. Called from the check's run (one instance's thread).
 */
#ifndef TALLY_DOCKER_CTRSTATS_H
#define TALLY_DOCKER_CTRSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

struct json_object;

#define DOCKER_MAX_IFS 8

struct docker_netif {
	char name[32];
	char network[64]; /* the Docker network it is on ("bridge"), or "" when unknown */
	uint64_t rx_bytes, tx_bytes;
};

/* One of a container's Docker networks, from inspect's NetworkSettings.Networks. */
struct docker_net {
	char name[64];
	char ip[48]; /* IPv4 address; "" when none */
	int prefix_len;
};

struct docker_sample {
	struct tally_cg_stats cg; /* cg.has says which fields are set */
	bool has_net;
	size_t n_if;
	struct docker_netif ifs[DOCKER_MAX_IFS];
	bool cg_from_api, net_from_api; /* where the numbers came from (for the log) */
};

/*
 * Parses a net/dev text (two header lines, then "iface: rx_bytes ... tx_bytes ...") into s,
 * every interface but lo. Returns the number of interfaces kept.
 */
size_t docker_netdev_parse(const char *text, struct docker_sample *s);

/* Reads <procfs_root>/<pid>/net/dev into s. 0, or a negative errno (-ENOENT: no such pid). */
int docker_netdev_read(const char *procfs_root, int pid, struct docker_sample *s);

/*
 * Fills what s lacks (cgroup fields when !cg.has, net when !has_net) from the answer of
 * /containers/{id}/stats?stream=false (borrowed).
 */
void docker_sample_from_api(struct json_object *stats, struct docker_sample *s);

/*
 * Names each interface's Docker network, as the Datadog agent does: the interface whose
 * route (route_text: a net/route file; may be NULL) covers a network's subnet is on that
 * network; with no routes, one interface and one network go together.
 */
void docker_netmap(const char *route_text, const struct docker_net *nets, size_t n_nets,
                   struct docker_sample *s);

/* Reads <procfs_root>/<pid>/net/route and maps s's interfaces (docker_netmap). */
void docker_netmap_pid(const char *procfs_root, int pid, const struct docker_net *nets,
                       size_t n_nets, struct docker_sample *s);

/* Sums over interfaces. */
uint64_t docker_sample_rx(const struct docker_sample *s);
uint64_t docker_sample_tx(const struct docker_sample *s);

#endif
