/*
 * check_sink: the agent's side of struct tally_check_ops. A sink collects one run of one check
 * instance: it validates and copies every submission, adds the instance's and the agent's tags
 * and the host, turns rate() and monotonic_count() into values with the instance's previous
 * samples (check_deriv.h), and hands the whole run over as one struct tally_check_run, which
 * the caller commits to the aggregator (check_commit.h) or prints (`tally check`).
 *
 * A sink is used by the one thread running the check; nothing here is shared. The run it
 * returns owns all its memory and may be passed to another thread.
 */
#ifndef TALLY_CORE_CHECK_SINK_H
#define TALLY_CORE_CHECK_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tally_check_ctx;
struct tally_check_deriv;
struct tally_check_ops;
struct tally_sample;

/* Per-run limits (tally/check.h documents them for check authors). */
#define TALLY_CHECK_MAX_SUBMISSIONS 100000
#define TALLY_CHECK_MAX_NAME        200
#define TALLY_CHECK_MAX_TAGS        64

/* What the check called; kept so `tally check` can report it. */
enum tally_check_mkind {
	TALLY_CK_GAUGE = 0,
	TALLY_CK_COUNT,
	TALLY_CK_RATE,
	TALLY_CK_MONOTONIC_COUNT,
	TALLY_CK_HISTOGRAM,
};

/* "gauge", "count", "rate", "monotonic_count" or "histogram". */
const char *tally_check_mkind_name(enum tally_check_mkind kind);

struct tally_check_metric {
	enum tally_check_mkind kind;
	char *name;
	char *host;  /* "" means no host */
	char **tags; /* sorted, unique, never a host: tag */
	size_t n_tags;
	double raw;        /* as submitted */
	double value;      /* what goes out: raw, or the computed rate or delta */
	bool has_value;    /* false: a rate/monotonic_count with nothing to send yet */
	int64_t timestamp; /* gauge_at() or a DogStatsD |T: Unix seconds; 0 means the flush's */
	/*
	 * A DogStatsD line (ops->dogstatsd): it reaches the aggregator as if received from the
	 * network, with its wire type (enum tally_mtype), sample rate and, for a set, member;
	 * kind is then only what `tally check` shows.
	 */
	bool wire;
	int wire_type;
	double sample_rate;
	char *set_value; /* sets only, else NULL */
};

struct tally_check_svc {
	char *name;
	int status; /* 0..3 */
	char *host;
	char **tags;
	size_t n_tags;
	char *message; /* "" when none */
};

struct tally_check_evt {
	char *title, *text, *alert_type, *priority, *aggregation_key, *source_type_name;
	char *host;
	char **tags;
	size_t n_tags;
	int64_t timestamp;
};

/* One finished run. Owns everything it points to; free with tally_check_run_free(). */
struct tally_check_run {
	char *check;    /* the check's name */
	char *instance; /* the instance's id */
	int64_t wall_s; /* when the run started, Unix seconds */
	struct tally_check_metric *metrics;
	size_t n_metrics, cap_metrics;
	struct tally_check_svc *svcs;
	size_t n_svcs, cap_svcs;
	struct tally_check_evt *events;
	size_t n_events, cap_events;
	uint64_t dropped;   /* submissions refused: bad arguments or over the limits */
	char *last_error;   /* the last ERROR line the check logged, or NULL */
	char *last_warning; /* the last WARN line, or NULL */
};

/* Accepts NULL. */
void tally_check_run_free(struct tally_check_run *run);
/* Metrics of the run that have a value to send. */
size_t tally_check_run_values(const struct tally_check_run *run);
/*
 * The type `tally check` shows: the kind the check called, or for a DogStatsD line its wire
 * type ("counter", "gauge", "timer", "histogram", "set", "distribution").
 */
const char *tally_check_metric_type(const struct tally_check_metric *m);

struct tally_check_sink_opts {
	const char *check; /* borrowed for the sink's life, like everything here */
	const char *instance;
	const char *host;        /* default host; "" for none */
	const char *const *tags; /* added to every submission: instance tags, agent tags */
	size_t n_tags;
	struct tally_check_deriv *deriv; /* the instance's previous samples; used, not owned */
	double now_s;                    /* CLOCK_MONOTONIC seconds: the run's time for rates */
	int64_t wall_s;                  /* the run's Unix time */
};

/* The agent's ops table (static, valid forever). */
const struct tally_check_ops *tally_check_sink_ops(void);
/* Returns a new sink for one run. Borrows *o and what it points to until finish. */
struct tally_check_ctx *tally_check_sink_new(const struct tally_check_sink_opts *o);
/*
 * Ends the run: frees the sink and returns what was submitted; the caller owns the result.
 * Logs once when submissions were dropped.
 */
struct tally_check_run *tally_check_sink_finish(struct tally_check_ctx *ctx);

/*
 * Buffers one parsed DogStatsD metric line (one metric per packed value) with the sink's
 * tags and host rules, as ops->dogstatsd does. Returns 0, or -EINVAL / -ENOSPC like the ops
 * (and counts the drop).
 */
int tally_check_sink_add_sample(struct tally_check_ctx *ctx, const struct tally_sample *s);
/*
 * ops->dogstatsd, in check_dsd.c: only programs linked with the DogStatsD parser have it
 * (check_sink.c refers to it weakly, so the op is NULL elsewhere).
 */
int tally_check_sink_dogstatsd(struct tally_check_ctx *ctx, const char *text, size_t len,
                               size_t *bad_lines);

/*
 * ops->entity_tags, in check_tags.c: publishes to the process's tagger (tagger.h), which the
 * receiver reads. Referred to weakly as well: NULL in programs without the tagger.
 */
int tally_check_sink_entity_tags(struct tally_check_ctx *ctx, const char *entity,
                                 const char *const *tags, size_t n_tags, uint32_t ttl_s);

#endif
