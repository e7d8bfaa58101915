/*
 * docker.h: what the docker check's files share: the instance state and one container's view
 * during a run. docker.c runs the collection, submit.c turns a sample into docker.* metrics,
 * statstab.c prints the `docker stats` table for `tally check docker --stats`.
 */
#ifndef TALLY_DOCKER_DOCKER_H
#define TALLY_DOCKER_DOCKER_H

#include <stdbool.h>
#include <stdint.h>

#include <tally/check.h>

#include "cgroup.h"
#include "ctrstats.h"
#include "engine.h"
#include "tags.h"

/* One container's row of the previous --stats sample, to turn counters into CPU %. */
struct docker_prev {
	char id[65];
	double t_s;
	uint64_t cpu_ns;
};

struct docker_state {
	/* bound by the agent */
	const char *url;
	double timeout;
	const char *procfs_root;
	const char *cgroupfs_root;
	struct tally_check_strlist include, exclude;
	struct tally_check_strlist labels_as_tags;
	struct tally_check_strlist performance_tags;
	bool collect_images_stats;
	bool publish_entity_tags;
	int64_t entity_tags_ttl;
	bool collect_events;
	/* made by init */
	struct docker_engine *eng;
	char procfs[256], cgroupfs[256];
	struct tally_cg_mounts mounts;
	bool have_mounts;
	struct docker_tag_set tagset;
	struct docker_filter inc, exc;
	/* `tally check docker --stats`: the previous sample per container */
	bool stats_table;
	struct docker_prev *prev;
	size_t n_prev;
	/* inspect_cache.c: what inspect gave per container, kept between runs */
	struct docker_inspect *inspect;
	size_t n_inspect, cap_inspect;
	uint64_t run_no;
	/* collect_events: events up to this time ("sec.nsec") were submitted ("": not started) */
	char events_since[48];
};

/* A container's configured limits (inspect's HostConfig); 0 means not set. */
struct docker_limits {
	double cpu_cores;   /* NanoCpus / 1e9, or CpuQuota / CpuPeriod */
	int64_t cpu_shares; /* CpuShares */
	int64_t mem_soft;   /* MemoryReservation, bytes */
	int64_t mem_swap;   /* MemorySwap (memory + swap), bytes; -1 unlimited */
};

/* One running container during a run. */
struct docker_ctr {
	const char *id;    /* 64 hex, borrowed from the list answer */
	char name[256];    /* container_name */
	int pid;           /* State.Pid; 0 when unknown */
	int64_t started_s; /* State.StartedAt, Unix seconds; 0 when unknown */
	bool host_net;     /* --network host: its interfaces are the host's, not reported */
	struct docker_net nets[DOCKER_MAX_IFS]; /* its Docker networks (inspect) */
	size_t n_nets;
	struct docker_limits lim; /* what HostConfig asks for (inspect) */
	struct docker_tags tags;
	struct docker_sample s;
};

/* Submits every docker.* metric of c (tags c->tags). */
void docker_submit_ctr(const struct tally_check_ops *ops, struct tally_check_ctx *ctx,
                       const struct docker_ctr *c, int64_t now_s);

/*
 * The `docker stats --no-stream` table: prints the header and one row per container of cs
 * whose previous sample st holds (CPU % needs two samples); then keeps cs as the previous.
 */
void docker_stats_table(struct docker_state *st, const struct docker_ctr *cs, size_t n,
                        double now_s);

/*
 * inspect_cache.c. lookup: fills c's pid, start time and networks from the cache when the
 * pid is still the container's (true), else false (inspect it). store: remembers them.
 * sweep: forgets containers not looked up or stored during run st->run_no.
 */
struct docker_inspect;
bool docker_inspect_lookup(struct docker_state *st, struct docker_ctr *c);
void docker_inspect_store(struct docker_state *st, const struct docker_ctr *c);
void docker_inspect_sweep(struct docker_state *st);

/* collect_events: submits the container events since the previous run (events.c). */
void docker_collect_events(struct docker_state *st, const struct tally_check_ops *ops,
                           struct tally_check_ctx *ctx);

#endif
