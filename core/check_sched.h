/*
 * check_sched: runs check instances on schedule. Each instance has a libevent timer on the
 * main base; its first run starts at a random point within its interval (so instances do
 * not all fire together), each later one an interval after the previous one started. A run
 * is handed to the worker pool (check_pool.h), never run on the event loop.
 *
 * Reliability rules:
 *   - a run that outlives the instance's timeout is reported (status "timeout", a warning
 *     log line, tally.check.timeouts +1) and the instance is not started again until that
 *     run returns; it then counts as a failure;
 *   - a failing run (or init) doubles the instance's interval, up to 8x and at most 300 s
 *     (never below the configured interval); the first successful run restores it;
 *   - status is kept per instance for `tally status` (runs, failures, timeouts, last run,
 *     duration, error, metrics sent).
 *
 * Main thread (the base's thread) only, except that opts.commit is called on workers.
 */
#ifndef TALLY_CORE_CHECK_SCHED_H
#define TALLY_CORE_CHECK_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct json_object;
struct tally_check_run;
struct tally_check_sched;
struct tally_check_inst;
struct tally_confd_instance;
struct tally_plugin;

#define TALLY_CHECK_BACKOFF_MAX_FACTOR 8u
#define TALLY_CHECK_BACKOFF_CAP_S      300.0

/* Receives one finished run (ownership passes); called on workers and on the main thread. */
typedef void (*tally_check_commit_fn)(struct tally_check_run *run, void *arg);

struct tally_check_sched_opts {
	struct event_base *base;
	unsigned workers;        /* check_runners */
	const char *host;        /* default host of submissions; borrowed, outlives the scheduler */
	const char *const *tags; /* the agent's tags, added to every submission; borrowed */
	size_t n_tags;
	tally_check_commit_fn commit;
	void *commit_arg;
	bool no_jitter; /* tests: the first run starts at once */
};

/* What `tally status` shows of one instance; read on the main thread. */
struct tally_check_inst_status {
	const char *state; /* "scheduled", "running", "ok", "warning", "error", "timeout" */
	uint64_t runs, failures, timeouts, consecutive_failures;
	uint64_t metrics_total; /* values sent since start */
	size_t last_metrics;    /* values sent by the last run */
	size_t last_service_checks, last_events;
	int64_t last_run_s; /* Unix time the last finished run started; 0: never */
	double last_duration_ms;
	double effective_interval_s; /* the interval with backoff */
	char *last_error;            /* the last failed run's reason; NULL after a success */
	char *last_warning;          /* the last run's warning, or NULL */
};

/* Returns a scheduler (and its worker pool), or NULL with a message in err. Borrows opts. */
struct tally_check_sched *tally_check_sched_new(const struct tally_check_sched_opts *opts,
                                                char *err, size_t err_len);
/*
 * Stops scheduling, waits up to wait_s seconds for running checks (their results are still
 * committed), destroys every instance and frees the scheduler. An instance whose run does not
 * return in time is abandoned with its plugin (never unloaded). Accepts NULL.
 */
void tally_check_sched_free(struct tally_check_sched *s, double wait_s);

/*
 * Shutdown in two steps, so that the agent's final flush and drain never wait for a check:
 * _stop() ends scheduling (no timer fires, queued runs are cancelled, running ones go on);
 * _free_by() then waits for running checks until deadline_ms (CLOCK_MONOTONIC) and frees
 * like tally_check_sched_free(). Returns how many runs were abandoned: their commit callback
 * may still be called, at any time, so what it uses must outlive the process. Accept NULL.
 */
void tally_check_sched_stop(struct tally_check_sched *s);
size_t tally_check_sched_free_by(struct tally_check_sched *s, int64_t deadline_ms);

/*
 * Adds an instance and starts its timer: takes ownership of conf, takes a new reference on
 * plugin. init() runs on a worker before the first run. Returns the instance (borrowed: valid
 * until it is removed or the scheduler freed).
 */
struct tally_check_inst *tally_check_sched_add(struct tally_check_sched *s,
                                               struct tally_plugin *plugin,
                                               struct tally_confd_instance *conf);
/*
 * Removes inst: it is not started again; it is destroyed and freed now, or when its current
 * run returns (that run's results are still sent).
 */
void tally_check_sched_remove(struct tally_check_sched *s, struct tally_check_inst *inst);

/* Iterates the live instances in the order they were added: first, then next until NULL. */
struct tally_check_inst *tally_check_sched_first(struct tally_check_sched *s);
struct tally_check_inst *tally_check_sched_next(struct tally_check_inst *inst);
/* What inst was built from, borrowed. */
const struct tally_confd_instance *tally_check_inst_conf(const struct tally_check_inst *inst);
const struct tally_plugin *tally_check_inst_plugin(const struct tally_check_inst *inst);
const struct tally_check_inst_status *tally_check_inst_status(const struct tally_check_inst *inst);

/* Returns a new json-c array with one object per instance; the caller puts it. */
struct json_object *tally_check_sched_status_json(struct tally_check_sched *s);

#endif
