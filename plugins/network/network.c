/*
 * network: the bundled network check. Reports the interfaces (net/dev) and TCP/UDP counters
 * (net/snmp, snmp6, netstat) of the agent's own namespace (the host) and of the namespaces an
 * instance lists, with Datadog's system.net.* names; TCP connections by state through
 * sock_diag when asked. Reading and rates are target.c's job, one target per namespace.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tally/check.h>

#include "target.h"

struct network_state {
	/* bound by the agent */
	const char *procfs_root;
	const char *netns_dir;
	struct tally_check_strlist excluded_interfaces;
	const char *excluded_interface_re;
	struct tally_check_strlist namespaces;
	bool collect_connection_state;
	bool include_host;
	/* made by init */
	regex_t re;
	bool have_re;
	struct net_target *targets;
	size_t n_targets;
};

static const struct tally_check_conf network_conf[] = {
	{ .key = "procfs_root",
	  .type = TALLY_CONF_STR,
	  .def = "/proc",
	  .offset = offsetof(struct network_state, procfs_root),
	  .doc = "where procfs is mounted (/host/proc in a container)" },
	{ .key = "netns_dir",
	  .type = TALLY_CONF_STR,
	  .def = "/var/run/netns",
	  .offset = offsetof(struct network_state, netns_dir),
	  .doc = "where `ip netns` keeps named namespaces" },
	{ .key = "excluded_interfaces",
	  .type = TALLY_CONF_STRLIST,
	  .def = "lo",
	  .offset = offsetof(struct network_state, excluded_interfaces),
	  .doc = "interface names not reported" },
	{ .key = "excluded_interface_re",
	  .type = TALLY_CONF_STR,
	  .offset = offsetof(struct network_state, excluded_interface_re),
	  .doc = "POSIX extended regex matched at the start of a name; matches are not reported" },
	{ .key = "namespaces",
	  .type = TALLY_CONF_STRLIST,
	  .offset = offsetof(struct network_state, namespaces),
	  .doc = "network namespaces to report too: NAME (ip netns) or pid:N; tagged netns:" },
	{ .key = "collect_connection_state",
	  .type = TALLY_CONF_BOOL,
	  .def = "false",
	  .offset = offsetof(struct network_state, collect_connection_state),
	  .doc = "tcp4/tcp6 connections by state and udp4/udp6 sockets (sock_diag)" },
	{ .key = "include_host",
	  .type = TALLY_CONF_BOOL,
	  .def = "true",
	  .offset = offsetof(struct network_state, include_host),
	  .doc = "report the agent's own namespace (the host's) too, untagged" },
	{ 0 },
};

static void network_destroy(void *state);

static int
network_init(void *state, char *err, size_t err_len)
{
	struct network_state *st = state;
	size_t n = st->namespaces.n + (st->include_host ? 1 : 0);
	int rc;

	if (st->excluded_interface_re && *st->excluded_interface_re) {
		/* Anchored at the start, as Datadog's check applies it (Python's re.match). */
		size_t len = strlen(st->excluded_interface_re) + 4;
		char *anchored = malloc(len);

		if (!anchored)
			return -ENOMEM;
		snprintf(anchored, len, "^(%s)", st->excluded_interface_re);
		rc = regcomp(&st->re, anchored, REG_EXTENDED | REG_NOSUB);
		free(anchored);
		if (rc) {
			char why[128];

			regerror(rc, &st->re, why, sizeof(why));
			snprintf(err, err_len, "excluded_interface_re: %s", why);
			return -EINVAL;
		}
		st->have_re = true;
	}
	if (n == 0) {
		snprintf(err, err_len, "include_host is false and namespaces is empty");
		return -EINVAL;
	}
	st->targets = calloc(n, sizeof(*st->targets));
	if (!st->targets)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *spec = NULL;

		if (!st->include_host || i > 0)
			spec = st->namespaces.items[i - (st->include_host ? 1 : 0)];
		rc = net_target_init(&st->targets[i], spec, st->procfs_root, st->netns_dir);
		if (rc < 0) {
			snprintf(err, err_len, "namespaces: \"%s\": %s", spec ? spec : "",
			         rc == -EINVAL ? "not a name or pid:N" : strerror(-rc));
			network_destroy(st);
			return rc;
		}
		st->n_targets++;
	}
	return 0;
}

static int
network_run(void *state, const struct tally_check_ops *ops, struct tally_check_ctx *ctx)
{
	struct network_state *st = state;
	struct net_filter f = { &st->excluded_interfaces, st->have_re ? &st->re : NULL,
		                st->collect_connection_state };
	int rc = 0;

	for (size_t i = 0; i < st->n_targets; i++) {
		int r = net_target_run(&st->targets[i], &f, ops, ctx);

		if (r < 0) {
			ops->log(ctx, TALLY_CHECK_LOG_ERROR, "cannot read %s/net: %s",
			         st->procfs_root, strerror(-r));
			rc = r;
		}
	}
	return rc;
}

static void
network_destroy(void *state)
{
	struct network_state *st = state;

	for (size_t i = 0; i < st->n_targets; i++)
		net_target_free(&st->targets[i]);
	free(st->targets);
	st->targets = NULL;
	st->n_targets = 0;
	if (st->have_re)
		regfree(&st->re);
	st->have_re = false;
}

static const struct tally_check_plugin network_check = {
	.abi_version = TALLY_CHECK_ABI_VERSION,
	.struct_size = sizeof(struct tally_check_plugin),
	.name = "network",
	.version = "1.0.0",
	.state_size = sizeof(struct network_state),
	.conf = network_conf,
	.init = network_init,
	.run = network_run,
	.destroy = network_destroy,
};

TALLY_CHECK_DEFINE(network_check)
