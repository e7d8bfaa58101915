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

#include <stddef.h>
#include <stdint.h>

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
/* Accepts NULL. */
void tally_status_server_free(struct tally_status_server *srv);

/* `tally status [--json]`: fetches and prints the running agent's status. Exit status. */
int tally_status_command(const struct tally_config *cfg, int json);

#endif
