#include "check_sched.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include <tally/check.h>

#include "check_deriv.h"
#include "check_loader.h"
#include "check_pool.h"
#include "check_sink.h"
#include "clock.h"
#include "confd.h"
#include "log.h"
#include "xmem.h"

/* Derived series (rate, monotonic_count) one instance may keep. */
#define DERIV_MAX_ENTRIES 100000
/* A derived series not submitted for this long (or 10 intervals) is forgotten. */
#define DERIV_MIN_IDLE_S 300.0

/* What the worker leaves for the main thread after a run; strings move into the status. */
struct run_result {
	int rc;
	char *error, *warning;
	int64_t wall_s;
	double duration_ms;
	size_t values, svcs, events;
};

struct tally_check_inst {
	struct tally_pool_job job; /* first: the job is the instance */
	struct tally_check_sched *s;
	struct tally_plugin *plugin;
	struct tally_confd_instance *conf;
	const char **tags; /* conf->tags, then the agent's */
	size_t n_tags;
	struct tally_check_deriv *deriv;
	bool inited; /* written by the worker, read on main after done() */
	struct run_result res;
	struct event *timer, *timeout_ev;
	bool running, timed_out, retired;
	int64_t last_start_ms;
	struct tally_check_inst_status st;
	struct tally_check_inst *prev, *next;
};

struct tally_check_sched {
	struct tally_check_sched_opts opts;
	struct tally_check_pool *pool;
	struct tally_check_inst *head, *tail;
	bool stopping;
	uint64_t rng;
};

static struct timeval
tv_ms(int64_t ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return tv;
}

/* --- on a worker thread --- */

static void
run_check(struct tally_check_inst *inst, double t0)
{
	const struct tally_check_plugin *d = inst->plugin->desc;
	struct tally_check_sink_opts o = {
		.check = inst->conf->check,
		.instance = inst->conf->id,
		.host = inst->s->opts.host ? inst->s->opts.host : "",
		.tags = inst->tags,
		.n_tags = inst->n_tags,
		.deriv = inst->deriv,
		.now_s = t0,
		.wall_s = inst->res.wall_s,
	};
	double idle = fmax(DERIV_MIN_IDLE_S, 10 * inst->conf->interval_s);
	struct tally_check_ctx *ctx = tally_check_sink_new(&o);
	int rc = d->run(inst->conf->state, tally_check_sink_ops(), ctx);
	struct tally_check_run *run = tally_check_sink_finish(ctx);

	inst->res.rc = rc < 0 ? rc : 0;
	if (rc < 0)
		inst->res.error = tally_xstrdup(run->last_error ? run->last_error : strerror(-rc));
	if (run->last_warning)
		inst->res.warning = tally_xstrdup(run->last_warning);
	inst->res.values = tally_check_run_values(run);
	inst->res.svcs = run->n_svcs;
	inst->res.events = run->n_events;
	tally_check_deriv_expire(inst->deriv, t0 - idle);
	inst->s->opts.commit(run, inst->s->opts.commit_arg);
}

static void
inst_run(struct tally_pool_job *job)
{
	struct tally_check_inst *inst = (struct tally_check_inst *)job;
	const struct tally_check_plugin *d = inst->plugin->desc;
	double t0 = tally_mono_s();
	char err[512] = "", msg[600];
	int rc;

	inst->res = (struct run_result){ .wall_s = (int64_t)time(NULL) };
	if (!inst->inited && d->init && (rc = d->init(inst->conf->state, err, sizeof(err))) < 0) {
		snprintf(msg, sizeof(msg), "init: %s", err[0] ? err : strerror(-rc));
		inst->res.rc = rc;
		inst->res.error = tally_xstrdup(msg);
	} else {
		inst->inited = true;
		run_check(inst, t0);
	}
	inst->res.duration_ms = (tally_mono_s() - t0) * 1000.0;
}

/* --- on the main thread --- */

static void
emit_timeout(struct tally_check_inst *inst)
{
	const char *tag_buf[1];
	char tag[300];
	struct tally_check_sink_opts o = {
		.check = inst->conf->check,
		.instance = inst->conf->id,
		.host = inst->s->opts.host ? inst->s->opts.host : "",
		.tags = inst->s->opts.tags,
		.n_tags = inst->s->opts.n_tags,
		.wall_s = (int64_t)time(NULL),
	};
	struct tally_check_ctx *ctx = tally_check_sink_new(&o);

	snprintf(tag, sizeof(tag), "check:%s", inst->conf->check);
	tag_buf[0] = tag;
	tally_check_sink_ops()->count(ctx, "tally.check.timeouts", 1, tag_buf, 1);
	inst->s->opts.commit(tally_check_sink_finish(ctx), inst->s->opts.commit_arg);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct tally_check_inst *inst = arg;

	if (!inst->running)
		return;
	inst->timed_out = true;
	inst->st.timeouts++;
	inst->st.state = "timeout";
	TALLY_WARN("checks",
	           "check run is over its timeout; not started again until it returns "
	           "check=%s instance=%s timeout_s=%g",
	           inst->conf->check, inst->conf->id, inst->conf->timeout_s);
	emit_timeout(inst);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tally_check_inst *inst = arg;
	struct timeval tv = tv_ms((int64_t)(inst->conf->timeout_s * 1000.0));

	if (inst->running || inst->retired || inst->s->stopping)
		return;
	inst->running = true;
	inst->last_start_ms = tally_mono_ms();
	inst->st.state = "running";
	evtimer_add(inst->timeout_ev, &tv);
	tally_check_pool_submit(inst->s->pool, &inst->job);
}

/* The interval with backoff: doubled per consecutive failure, 8x and 300 s at most. */
static double
effective_interval(const struct tally_check_inst *inst)
{
	double base = inst->conf->interval_s;
	uint64_t fails = inst->st.consecutive_failures;
	double factor = fails >= 3 ? TALLY_CHECK_BACKOFF_MAX_FACTOR : (double)(1u << fails);

	return fmin(base * factor, fmax(base, TALLY_CHECK_BACKOFF_CAP_S));
}

static void
arm_next(struct tally_check_inst *inst)
{
	double eff = effective_interval(inst);
	int64_t next_ms = inst->last_start_ms + (int64_t)(eff * 1000.0);
	int64_t delay = next_ms - tally_mono_ms();
	struct timeval tv = tv_ms(delay > 0 ? delay : 0);

	inst->st.effective_interval_s = eff;
	evtimer_add(inst->timer, &tv);
}

static void
record_failure(struct tally_check_inst *inst, struct run_result *res)
{
	char msg[256];

	if (!res->error) {
		snprintf(msg, sizeof(msg), "run took %.1f s, over its timeout of %g s",
		         res->duration_ms / 1000.0, inst->conf->timeout_s);
		res->error = tally_xstrdup(msg);
	}
	inst->st.failures++;
	inst->st.consecutive_failures++;
	inst->st.state = inst->timed_out ? "timeout" : "error";
	free(inst->st.last_error);
	inst->st.last_error = res->error;
	res->error = NULL;
	TALLY_WARN("checks", "check run failed check=%s instance=%s error=\"%s\" failures=%llu",
	           inst->conf->check, inst->conf->id, inst->st.last_error,
	           (unsigned long long)inst->st.consecutive_failures);
}

static void
record(struct tally_check_inst *inst)
{
	struct run_result *res = &inst->res;
	struct tally_check_inst_status *st = &inst->st;

	st->runs++;
	st->last_run_s = res->wall_s;
	st->last_duration_ms = res->duration_ms;
	st->last_metrics = res->values;
	st->metrics_total += res->values;
	st->last_service_checks = res->svcs;
	st->last_events = res->events;
	free(st->last_warning);
	st->last_warning = res->warning;
	res->warning = NULL;
	if (res->rc < 0 || inst->timed_out) {
		record_failure(inst, res);
		return;
	}
	if (st->consecutive_failures)
		TALLY_INFO("checks", "check recovered check=%s instance=%s after_failures=%llu",
		           inst->conf->check, inst->conf->id,
		           (unsigned long long)st->consecutive_failures);
	st->consecutive_failures = 0;
	free(st->last_error);
	st->last_error = NULL;
	st->state = st->last_warning ? "warning" : "ok";
}

static void
unlink_inst(struct tally_check_sched *s, struct tally_check_inst *inst)
{
	if (inst->prev)
		inst->prev->next = inst->next;
	else
		s->head = inst->next;
	if (inst->next)
		inst->next->prev = inst->prev;
	else
		s->tail = inst->prev;
	inst->prev = inst->next = NULL;
}

static void
inst_free(struct tally_check_inst *inst)
{
	const struct tally_check_plugin *d = inst->plugin->desc;

	unlink_inst(inst->s, inst);
	if (inst->inited && d->destroy)
		d->destroy(inst->conf->state);
	event_free(inst->timer);
	event_free(inst->timeout_ev);
	tally_check_deriv_free(inst->deriv);
	tally_confd_instance_free(inst->conf);
	free(inst->tags);
	free(inst->res.error);
	free(inst->res.warning);
	free(inst->st.last_error);
	free(inst->st.last_warning);
	tally_plugin_unref(inst->plugin);
	free(inst);
}

static void
inst_done(struct tally_pool_job *job, bool ran)
{
	struct tally_check_inst *inst = (struct tally_check_inst *)job;

	inst->running = false;
	evtimer_del(inst->timeout_ev);
	if (ran)
		record(inst);
	else
		inst->st.state = "scheduled";
	inst->timed_out = false;
	if (inst->retired)
		inst_free(inst);
	else if (!inst->s->stopping)
		arm_next(inst);
}

static uint64_t
next_random(struct tally_check_sched *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

struct tally_check_inst *
tally_check_sched_add(struct tally_check_sched *s, struct tally_plugin *plugin,
                      struct tally_confd_instance *conf)
{
	struct tally_check_inst *inst = tally_xcalloc(1, sizeof(*inst));
	int64_t interval_ms = (int64_t)(conf->interval_s * 1000.0);
	int64_t delay = s->opts.no_jitter ? 0 : (int64_t)(next_random(s) % (uint64_t)interval_ms);
	struct timeval tv = tv_ms(delay);

	inst->s = s;
	inst->plugin = plugin;
	tally_plugin_ref(plugin);
	inst->conf = conf;
	inst->tags = tally_xmalloc((conf->n_tags + s->opts.n_tags + 1) * sizeof(*inst->tags));
	for (size_t i = 0; i < conf->n_tags; i++)
		inst->tags[inst->n_tags++] = conf->tags[i];
	for (size_t i = 0; i < s->opts.n_tags; i++)
		inst->tags[inst->n_tags++] = s->opts.tags[i];
	inst->deriv = tally_check_deriv_new(DERIV_MAX_ENTRIES);
	inst->job.run = inst_run;
	inst->job.done = inst_done;
	inst->timer = evtimer_new(s->opts.base, on_timer, inst);
	inst->timeout_ev = evtimer_new(s->opts.base, on_timeout, inst);
	inst->st.state = "scheduled";
	inst->st.effective_interval_s = conf->interval_s;
	inst->prev = s->tail;
	if (s->tail)
		s->tail->next = inst;
	else
		s->head = inst;
	s->tail = inst;
	evtimer_add(inst->timer, &tv);
	TALLY_INFO("checks",
	           "scheduled check instance check=%s instance=%s interval_s=%g "
	           "first_run_in_ms=%lld source=%s",
	           conf->check, conf->id, conf->interval_s, (long long)delay, conf->file);
	return inst;
}

void
tally_check_sched_remove(struct tally_check_sched *s, struct tally_check_inst *inst)
{
	if (inst->retired)
		return;
	inst->retired = true;
	evtimer_del(inst->timer);
	TALLY_INFO("checks", "removed check instance check=%s instance=%s%s", inst->conf->check,
	           inst->conf->id, inst->running ? " (after its current run)" : "");
	if (!inst->running)
		inst_free(inst);
}

static struct tally_check_inst *
skip_retired(struct tally_check_inst *inst)
{
	while (inst && inst->retired)
		inst = inst->next;
	return inst;
}

struct tally_check_inst *
tally_check_sched_first(struct tally_check_sched *s)
{
	return skip_retired(s->head);
}

struct tally_check_inst *
tally_check_sched_next(struct tally_check_inst *inst)
{
	return skip_retired(inst->next);
}

const struct tally_confd_instance *
tally_check_inst_conf(const struct tally_check_inst *inst)
{
	return inst->conf;
}

const struct tally_plugin *
tally_check_inst_plugin(const struct tally_check_inst *inst)
{
	return inst->plugin;
}

const struct tally_check_inst_status *
tally_check_inst_status(const struct tally_check_inst *inst)
{
	return &inst->st;
}

struct tally_check_sched *
tally_check_sched_new(const struct tally_check_sched_opts *opts, char *err, size_t err_len)
{
	struct tally_check_sched *s = tally_xcalloc(1, sizeof(*s));

	s->opts = *opts;
	s->rng = (uint64_t)tally_mono_ms() * 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL);
	s->rng = s->rng ? s->rng : 1;
	s->pool = tally_check_pool_new(opts->workers, opts->base, err, err_len);
	if (!s->pool) {
		free(s);
		return NULL;
	}
	return s;
}

void
tally_check_sched_stop(struct tally_check_sched *s)
{
	if (!s || s->stopping)
		return;
	s->stopping = true;
	for (struct tally_check_inst *inst = s->head; inst; inst = inst->next)
		evtimer_del(inst->timer);
	tally_check_pool_cancel(s->pool);
}

size_t
tally_check_sched_free_by(struct tally_check_sched *s, int64_t deadline_ms)
{
	struct tally_check_inst *inst, *next;
	size_t stuck;

	if (!s)
		return 0;
	tally_check_sched_stop(s);
	stuck = tally_check_pool_free(s->pool, deadline_ms);
	for (inst = s->head; inst; inst = next) {
		next = inst->next;
		if (!inst->running) {
			inst_free(inst);
			continue;
		}
		/* Still inside the check: its state and plugin stay as they are, forever. */
		TALLY_WARN("checks",
		           "abandoning a check run that did not return check=%s "
		           "instance=%s",
		           inst->conf->check, inst->conf->id);
		event_free(inst->timer);
		event_free(inst->timeout_ev);
	}
	free(s);
	return stuck;
}

void
tally_check_sched_free(struct tally_check_sched *s, double wait_s)
{
	tally_check_sched_free_by(s, tally_mono_ms() + (int64_t)(wait_s * 1000.0));
}
