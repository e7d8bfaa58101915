/*
 * output: where flushed batches go (console, Datadog intake, Graphite, InfluxDB, Prometheus).
 *
 * Every output is an object behind this small vtable; the agent hands each flush's batch to
 * every output in turn, on the main thread, and an output must never block there: anything slow
 * (network, disk) is queued and driven by the main event loop. Adding a backend is a new file
 * and a row in the factory, not a change to the agent.
 */
#ifndef TALLY_CORE_OUTPUT_H
#define TALLY_CORE_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct json_object;
struct tally_batch;
struct tally_config;
struct tally_output_conf;
struct tally_output;

struct tally_output_ops {
	const char *type;
	/* Borrows b for the call; take a tally_batch_ref() to keep it. Main thread. */
	void (*submit)(struct tally_output *out, struct tally_batch *b);
	/*
	 * Shutdown: keep delivering until the deadline (CLOCK_MONOTONIC ms) passes or nothing is
	 * left, running base as needed; then spool or drop what remains. May be NULL.
	 */
	void (*drain)(struct tally_output *out, struct event_base *base, int64_t deadline_ms);
	/*
	 * Appends the output's own health series (tally.forwarder.* and the like: sent, retried,
	 * dropped by reason, queue bytes) to b, stamped ts/interval_s, for host. Called on the
	 * main thread just before b is submitted to every output. May be NULL.
	 */
	void (*stats)(struct tally_output *out, struct tally_batch *b, int64_t ts,
	              uint32_t interval_s, const char *host);
	/*
	 * Returns a new json-c object describing the output's state for `tally status` (queue
	 * bytes, sent, dropped, circuit state...); the caller puts it. Main thread. May be NULL.
	 */
	struct json_object *(*status)(struct tally_output *out);
	/* Frees the output and everything it holds. */
	void (*free)(struct tally_output *out);
};

struct tally_output {
	const struct tally_output_ops *ops;
	char *name; /* "console", "graphite 127.0.0.1:2003", ... for logs and status */
};

/*
 * Builds the output that oc describes, or NULL with a message in err.
 * cfg and base are borrowed and outlive the output.
 */
struct tally_output *tally_output_new(const struct tally_output_conf *oc,
                                      const struct tally_config *cfg, struct event_base *base,
                                      char *err, size_t err_len);

/* The console output: a readable table of each flush written to stdout. */
struct tally_output *tally_out_console_new(void);

#endif
