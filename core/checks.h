/*
 * checks: the check plugins of a running agent, as one object for agent.c: loads every
 * plugin of checksd_path and every instance of conf.d, schedules them (check_sched.h),
 * commits their results to the receiver, reloads on SIGHUP and reports status.
 *
 * Also the validation behind `tally configcheck`. (tally_checks_new() itself lives in
 * checks_rx.c, the receiver hand-off, so that tests of the rest need no receiver.)
 *
 * Everything here is main-thread (the event loop's thread) only.
 */
#ifndef TALLY_CORE_CHECKS_H
#define TALLY_CORE_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "check_sched.h"

struct event_base;
struct json_object;
struct tally_config;
struct tally_receiver;
struct tally_checks;

/* Seconds tally_checks_free() waits for running checks before abandoning them. */
#define TALLY_CHECKS_STOP_WAIT_S 5.0

/*
 * Loads checksd_path and conf.d and starts scheduling on base (timers) and cfg->check_runners
 * worker threads; results go to rx with tally_receiver_run_on(). Create it after the receiver
 * has started; free it before the receiver stops. Borrows cfg, base and rx, which must
 * outlive the result. Refused plugins and conf.d errors are logged and leave the check (or
 * instance) out; they do not fail this call. Returns NULL with a message in err only when the
 * worker threads cannot start.
 */
struct tally_checks *tally_checks_new(const struct tally_config *cfg, struct event_base *base,
                                      struct tally_receiver *rx, char *err, size_t err_len);
/*
 * Same, but every finished run goes to commit(run, arg) on a worker thread (tests, tools).
 * no_jitter starts every instance's first run at once.
 */
struct tally_checks *tally_checks_new_with(const struct tally_config *cfg, struct event_base *base,
                                           tally_check_commit_fn commit, void *arg, bool no_jitter,
                                           char *err, size_t err_len);

/*
 * SIGHUP: scans checksd_path and conf.d again. Instances whose check file and configuration
 * did not change keep running untouched (and keep their rate baselines); new ones start;
 * those gone are removed once their current run has returned. Returns 0, or -EINVAL when
 * something was refused or misconfigured (logged; the rest is applied).
 */
int tally_checks_reload(struct tally_checks *c);

/*
 * Stops scheduling, waits up to TALLY_CHECKS_STOP_WAIT_S for running checks (their results
 * still reach the receiver), destroys every instance and unloads the plugins. Accepts NULL.
 */
void tally_checks_free(struct tally_checks *c);

/*
 * The agent's shutdown in two steps (see tally_check_sched_stop()): _stop() ends scheduling
 * at once; _free_by() waits for running checks until deadline_ms (CLOCK_MONOTONIC), then
 * frees like tally_checks_free(). Returns the number of abandoned runs; when it is not 0
 * their commit target (the receiver) must never be freed. Accept NULL.
 */
void tally_checks_stop(struct tally_checks *c);
size_t tally_checks_free_by(struct tally_checks *c, int64_t deadline_ms);

/*
 * The checks section of `tally status`: a new json-c array the caller puts, one object per
 * instance: {check, instance, version, plugin, config, status ("scheduled", "running", "ok",
 * "warning", "error", "timeout"), interval_s, effective_interval_s, timeout_s, runs,
 * failures, consecutive_failures, timeouts, last_run (Unix s), last_duration_ms, metrics
 * (sent by the last run), metrics_total, service_checks, events, last_error, last_warning}.
 */
struct json_object *tally_checks_status_json(struct tally_checks *c);
/* A new json-c array of the last (re)load's problems, "FILE:LINE:COL: message" strings. */
struct json_object *tally_checks_errors_json(struct tally_checks *c);
/* A new json-c array of the plugins the last (re)load refused: {path, reason}. */
struct json_object *tally_checks_refused_json(struct tally_checks *c);
struct json_object *tally_checks_refused_json_cb(void *c);
/* The same with a void * argument, for struct tally_status_src.checks_json. */
struct json_object *tally_checks_status_json_cb(void *c);
/* tally_checks_errors_json() for struct tally_status_src.check_errors_json. */
struct json_object *tally_checks_errors_json_cb(void *c);

/*
 * `tally configcheck`: loads every plugin of checksd_path and validates every conf.d file
 * (also files for which no plugin exists, which is an error), printing each problem to err as
 * "FILE:LINE:COL: message" and the resolved instances to out. Returns the number of problems.
 */
size_t tally_checks_configcheck(const struct tally_config *cfg, FILE *out, FILE *err);

#endif
