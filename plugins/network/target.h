/*
 * target: one namespace the network check reports (the host, or an entry of `namespaces:`),
 * with its kept-open files, its previous reading (for per-second rates) and its sock_diag
 * socket. Rates are computed here rather than through ops->rate so that a 32-bit counter's
 * wrap still gives a rate (tally_counter_delta) and a reset gives none. One run at a time.
 */
#ifndef TALLY_NETWORK_TARGET_H
#define TALLY_NETWORK_TARGET_H

#include <regex.h>
#include <stdbool.h>

#include <tally/check.h>

#include "netns.h"
#include "procnet.h"

/* What the instance asks for, shared by its targets; borrowed. */
struct net_filter {
	const struct tally_check_strlist *excluded; /* interface names */
	const regex_t *excluded_re;                 /* NULL: none */
	bool connection_state;
};

struct net_target {
	struct tally_netns ns;
	char *tag; /* "netns:<spec>", NULL for the host */
	struct tally_netdev_set devs[2];
	struct tally_netproto proto[2];
	int cur;       /* index of the newest reading in devs/proto */
	double prev_s; /* monotonic time of the previous reading; < 0: none */
	int diag_fd;   /* NETLINK_SOCK_DIAG socket in this namespace, -1 when not made */
	uint64_t diag_ino;
	bool missing; /* the namespace was absent last run (logged once) */
};

/* spec as in tally_netns_init. Returns 0 or a negative errno (t needs no _free then). */
int net_target_init(struct net_target *t, const char *spec, const char *procfs_root,
                    const char *netns_dir);
void net_target_free(struct net_target *t);
/*
 * Reads t now and submits its rates (from the second run on), gauges and connection counts.
 * A namespace that is absent is logged once (WARN) and skipped. Returns 0, or a negative
 * errno when the host's own files cannot be read.
 */
int net_target_run(struct net_target *t, const struct net_filter *f,
                   const struct tally_check_ops *ops, struct tally_check_ctx *ctx);

#endif
