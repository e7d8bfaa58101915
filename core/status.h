/*
 * status: the agent's local HTTP status API (GET /status on status_listen, JSON) and the
 * `tally status` client that reads it.
 *
 * The server runs on the main event loop and only reads: published receiver counters (atomics),
 * the outputs' and checks' own status hooks, which are main-thread functions. It binds to
 * loopback by default; it exposes no secrets (the API key never appears).
 */
#ifndef TALLY_CORE_STATUS_H
#define TALLY_CORE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct event_base;
struct json_object;
struct tally_config;
struct tally_output;
struct tally_selfstats;
struct tally_status_server;

/* Everything the status page reads; all borrowed, all outliving the server. */
struct tally_status_src {
	const struct tally_config *cfg;
	const struct tally_selfstats *stats;
	struct tally_output *const *outputs;
	const size_t *n_outputs;
	/* Returns a new json object for the checks section, or NULL when checks are off. */
	struct json_object *(*checks_json)(void *arg);
	/* Optional: a new json array of check configuration errors, called with checks_arg. */
	struct json_object *(*check_errors_json)(void *arg);
	void *checks_arg;
	int64_t started_s;
	size_t udp_rcvbuf_bytes;
	/* Optional: a new json array of refused plugins ({path, reason}), called with checks_arg.
	 */
	struct json_object *(*refused_json)(void *arg);
	/* For /health (CLOCK_MONOTONIC ms): when the agent started, the last flush, 0: none yet. */
	int64_t started_ms, last_flush_ms;
	unsigned flush_interval_s;
	bool stopping; /* SIGTERM seen: /ready and /health answer 503 */
};

/* Builds the status document; the caller puts the returned object. Main thread. */
struct json_object *tally_status_json(const struct tally_status_src *src);

/*
 * Serves GET /status on listen ("host:port") from base. Returns NULL with a message in err
 * when the address cannot be bound. Main thread.
 */
struct tally_status_server *tally_status_server_new(struct event_base *base, const char *listen,
                                                    const struct tally_status_src *src, char *err,
                                                    size_t err_len);
/*
 * The /health verdict for doc (a tally_status_json() document of src): true and "ok", or
 * false with the reason in why. status_health.c.
 */
bool tally_status_healthy(const struct tally_status_src *src, struct json_object *doc, char *why,
                          size_t len);

/* `tally status` as a readable page (Agent, Checks, DogStatsD, Outputs). status_page.c. */
void tally_status_page(struct json_object *doc, FILE *out);

/* Accepts NULL. */
void tally_status_server_free(struct tally_status_server *srv);

/* `tally status [--json]`: fetches and prints the running agent's status. Exit status. */
int tally_status_command(const struct tally_config *cfg, int json);
/* `tally health`: GET /health, prints the reason; 0 when healthy, 1 otherwise or unreachable. */
int tally_health_command(const struct tally_config *cfg);

#endif
