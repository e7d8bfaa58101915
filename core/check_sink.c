#include "check_sink.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tally/check.h>

#include "check_deriv.h"
#include "log.h"
#include "sample.h"
#include "xmem.h"

/*
 * ops->dogstatsd lives in check_dsd.c with the DogStatsD parser; programs (tests) that link the
 * sink without the parser get a NULL op instead of a link error.
 */
#pragma weak tally_check_sink_dogstatsd
#pragma weak tally_check_sink_entity_tags

struct tally_check_ctx {
	struct tally_check_sink_opts o;
	struct tally_check_run *run;
	size_t submissions;
};

/* Tags of one submission, resolved: sorted, unique, host: taken out. */
struct tagset {
	char **tags;
	size_t n;
	char *host;
};

const char *
tally_check_mkind_name(enum tally_check_mkind kind)
{
	static const char *const names[] = { "gauge", "count", "rate", "monotonic_count",
		                             "histogram" };

	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "gauge";
}

static void
free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
tally_check_run_free(struct tally_check_run *run)
{
	if (!run)
		return;
	for (size_t i = 0; i < run->n_metrics; i++) {
		free(run->metrics[i].name);
		free(run->metrics[i].host);
		free(run->metrics[i].set_value);
		free_strv(run->metrics[i].tags, run->metrics[i].n_tags);
	}
	for (size_t i = 0; i < run->n_svcs; i++) {
		free(run->svcs[i].name);
		free(run->svcs[i].host);
		free(run->svcs[i].message);
		free_strv(run->svcs[i].tags, run->svcs[i].n_tags);
	}
	for (size_t i = 0; i < run->n_events; i++) {
		struct tally_check_evt *e = &run->events[i];

		free(e->title);
		free(e->text);
		free(e->alert_type);
		free(e->priority);
		free(e->aggregation_key);
		free(e->source_type_name);
		free(e->host);
		free_strv(e->tags, e->n_tags);
	}
	free(run->metrics);
	free(run->svcs);
	free(run->events);
	free(run->check);
	free(run->instance);
	free(run->last_error);
	free(run->last_warning);
	free(run);
}

const char *
tally_check_metric_type(const struct tally_check_metric *m)
{
	static const char *const wire[] = { "counter",   "gauge", "timer",
		                            "histogram", "set",   "distribution" };

	if (m->wire && (unsigned)m->wire_type < sizeof(wire) / sizeof(wire[0]))
		return wire[m->wire_type];
	return tally_check_mkind_name(m->kind);
}

size_t
tally_check_run_values(const struct tally_check_run *run)
{
	size_t n = 0;

	for (size_t i = 0; i < run->n_metrics; i++)
		n += run->metrics[i].has_value;
	return n;
}

static bool
printable(const char *s, size_t max_len)
{
	size_t len = 0;

	for (; s[len]; len++) {
		unsigned char c = (unsigned char)s[len];

		if (c < 0x20 || c == 0x7f || len == max_len)
			return false;
	}
	return true;
}

static bool
valid_name(const char *name)
{
	return name && name[0] && printable(name, TALLY_CHECK_MAX_NAME);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Collects the submitted and the sink's tags into *ts; -EINVAL for bad ones. */
static int
resolve_tags(const struct tally_check_ctx *ctx, const char *const *tags, size_t n,
             struct tagset *ts)
{
	const char **all;
	const char *host = ctx->o.host;
	size_t k = 0;

	if (n > TALLY_CHECK_MAX_TAGS || (n && !tags))
		return -EINVAL;
	all = tally_xmalloc((n + ctx->o.n_tags + 1) * sizeof(*all));
	for (size_t i = 0; i < n + ctx->o.n_tags; i++) {
		const char *t = i < n ? tags[i] : ctx->o.tags[i - n];

		if (!t || !t[0])
			continue;
		if (!printable(t, 4096)) {
			free(all);
			return -EINVAL;
		}
		if (strncmp(t, "host:", 5) == 0)
			host = t + 5;
		else
			all[k++] = t;
	}
	if (k > 1)
		qsort(all, k, sizeof(*all), cmp_str);
	ts->tags = tally_xmalloc((k ? k : 1) * sizeof(*ts->tags));
	ts->n = 0;
	for (size_t i = 0; i < k; i++) {
		if (i == 0 || strcmp(all[i], all[i - 1]) != 0)
			ts->tags[ts->n++] = tally_xstrdup(all[i]);
	}
	ts->host = tally_xstrdup(host ? host : "");
	free(all);
	return 0;
}

/*
 * Admits one submission: it must be valid and the run not full. On success *ts holds its
 * copied tags and host; otherwise the submission is counted as dropped.
 */
static int
admit(struct tally_check_ctx *ctx, bool valid, const char *const *tags, size_t n_tags,
      struct tagset *ts)
{
	if (!valid || resolve_tags(ctx, tags, n_tags, ts) < 0) {
		ctx->run->dropped++;
		return -EINVAL;
	}
	if (ctx->submissions >= TALLY_CHECK_MAX_SUBMISSIONS) {
		ctx->run->dropped++;
		free_strv(ts->tags, ts->n);
		free(ts->host);
		return -ENOSPC;
	}
	ctx->submissions++;
	return 0;
}

/* The key of a derived series: kind, name, tags and host, NUL-separated. */
static char *
deriv_key(const struct tally_check_metric *m, size_t *len)
{
	size_t n = 2 + strlen(m->name) + strlen(m->host) + 1;
	char *key, *p;

	for (size_t i = 0; i < m->n_tags; i++)
		n += strlen(m->tags[i]) + 1;
	key = p = tally_xmalloc(n);
	*p++ = (char)('0' + m->kind);
	p = stpcpy(p, m->name) + 1;
	for (size_t i = 0; i < m->n_tags; i++)
		p = stpcpy(p, m->tags[i]) + 1;
	p = stpcpy(p, m->host) + 1;
	*len = (size_t)(p - key);
	return key;
}

static void
derive(struct tally_check_ctx *ctx, struct tally_check_metric *m)
{
	enum tally_deriv_kind dk =
	    m->kind == TALLY_CK_RATE ? TALLY_DERIV_RATE : TALLY_DERIV_MONOTONIC;
	size_t len;
	char *key;

	if (!ctx->o.deriv) {
		m->has_value = false;
		return;
	}
	key = deriv_key(m, &len);
	m->has_value =
	    tally_check_deriv_update(ctx->o.deriv, dk, key, len, m->raw, ctx->o.now_s, &m->value);
	free(key);
}

/* Buffers one metric; *out (may be NULL) is set to it, valid until the next submission. */
static int
add_metric(struct tally_check_ctx *ctx, enum tally_check_mkind kind, const char *name, double value,
           const char *const *tags, size_t n_tags, struct tally_check_metric **out)
{
	struct tally_check_run *run = ctx->run;
	struct tally_check_metric *m;
	struct tagset ts;

	int rc = admit(ctx, valid_name(name) && isfinite(value), tags, n_tags, &ts);

	if (rc < 0)
		return rc;
	run->metrics =
	    tally_xgrow(run->metrics, &run->cap_metrics, run->n_metrics + 1, sizeof(*m), 16);
	m = &run->metrics[run->n_metrics++];
	*m = (struct tally_check_metric){ .kind = kind,
		                          .name = tally_xstrdup(name),
		                          .host = ts.host,
		                          .tags = ts.tags,
		                          .n_tags = ts.n,
		                          .raw = value,
		                          .value = value,
		                          .has_value = true };
	if (out)
		*out = m;
	return 0;
}

static int
submit_metric(struct tally_check_ctx *ctx, enum tally_check_mkind kind, const char *name,
              double value, const char *const *tags, size_t n_tags)
{
	struct tally_check_metric *m;
	int rc = add_metric(ctx, kind, name, value, tags, n_tags, &m);

	if (rc == 0 && (kind == TALLY_CK_RATE || kind == TALLY_CK_MONOTONIC_COUNT))
		derive(ctx, m);
	return rc;
}

static int
op_gauge(struct tally_check_ctx *ctx, const char *name, double v, const char *const *tags, size_t n)
{
	return submit_metric(ctx, TALLY_CK_GAUGE, name, v, tags, n);
}

static int
op_gauge_at(struct tally_check_ctx *ctx, const char *name, double v, int64_t timestamp,
            const char *const *tags, size_t n)
{
	struct tally_check_metric *m;
	int rc;

	if (timestamp <= 0) {
		ctx->run->dropped++;
		return -EINVAL;
	}
	rc = add_metric(ctx, TALLY_CK_GAUGE, name, v, tags, n, &m);
	if (rc == 0)
		m->timestamp = timestamp;
	return rc;
}

/* The kind `tally check` would call a DogStatsD type by; commit uses the wire type. */
static enum tally_check_mkind
wire_kind(enum tally_mtype t)
{
	switch (t) {
	case TALLY_MT_COUNTER:
		return TALLY_CK_COUNT;
	case TALLY_MT_TIMER:
	case TALLY_MT_HISTOGRAM:
	case TALLY_MT_DISTRIBUTION:
		return TALLY_CK_HISTOGRAM;
	default:
		return TALLY_CK_GAUGE;
	}
}

/* The line's tags and host: tag as NUL-terminated strings in one block; NULL when too many. */
static char **
sample_tags(const struct tally_sample *s, size_t *n)
{
	size_t bytes = 0, k = s->n_tags + (s->has_host ? 1 : 0);
	char **v, *p;

	if (k > TALLY_CHECK_MAX_TAGS)
		return NULL;
	for (size_t i = 0; i < s->n_tags; i++)
		bytes += s->tags[i].len + 1;
	bytes += s->has_host ? s->host.len + 6 : 0;
	v = tally_xmalloc((k + 1) * sizeof(*v) + bytes);
	p = (char *)(v + k + 1);
	for (size_t i = 0; i < s->n_tags; i++) {
		v[i] = p;
		memcpy(p, s->tags[i].ptr, s->tags[i].len);
		p += s->tags[i].len;
		*p++ = '\0';
	}
	if (s->has_host) {
		v[s->n_tags] = p;
		memcpy(p, "host:", 5);
		memcpy(p + 5, s->host.ptr, s->host.len);
		p[5 + s->host.len] = '\0';
	}
	*n = k;
	return v;
}

int
tally_check_sink_add_sample(struct tally_check_ctx *ctx, const struct tally_sample *s)
{
	size_t n_tags = 0, n_values = s->type == TALLY_MT_SET ? 1 : s->n_values;
	char name[TALLY_CHECK_MAX_NAME + 1];
	char **tags = sample_tags(s, &n_tags);
	int rc = 0;

	if (!tags || s->name.len > TALLY_CHECK_MAX_NAME || n_values == 0) {
		free(tags);
		ctx->run->dropped++;
		return -EINVAL;
	}
	memcpy(name, s->name.ptr, s->name.len);
	name[s->name.len] = '\0';
	for (size_t i = 0; i < n_values && rc == 0; i++) {
		double v = s->type == TALLY_MT_SET ? 1 : s->values[i];
		struct tally_check_metric *m;

		rc = add_metric(ctx, wire_kind(s->type), name, v, (const char *const *)tags, n_tags,
		                &m);
		if (rc < 0)
			break;
		m->wire = true;
		m->wire_type = (int)s->type;
		m->sample_rate = s->sample_rate > 0 && s->sample_rate <= 1 ? s->sample_rate : 1;
		m->timestamp = s->timestamp;
		if (s->type == TALLY_MT_SET)
			m->set_value = tally_xstrndup(s->set_value.ptr, s->set_value.len);
	}
	free(tags);
	return rc;
}

static int
op_count(struct tally_check_ctx *ctx, const char *name, double v, const char *const *tags, size_t n)
{
	return submit_metric(ctx, TALLY_CK_COUNT, name, v, tags, n);
}

static int
op_rate(struct tally_check_ctx *ctx, const char *name, double v, const char *const *tags, size_t n)
{
	return submit_metric(ctx, TALLY_CK_RATE, name, v, tags, n);
}

static int
op_monotonic_count(struct tally_check_ctx *ctx, const char *name, double v, const char *const *tags,
                   size_t n)
{
	return submit_metric(ctx, TALLY_CK_MONOTONIC_COUNT, name, v, tags, n);
}

static int
op_histogram(struct tally_check_ctx *ctx, const char *name, double v, const char *const *tags,
             size_t n)
{
	return submit_metric(ctx, TALLY_CK_HISTOGRAM, name, v, tags, n);
}

static int
op_service_check(struct tally_check_ctx *ctx, const char *name, enum tally_check_status status,
                 const char *const *tags, size_t n_tags, const char *message)
{
	struct tally_check_run *run = ctx->run;
	struct tally_check_svc *sc;
	struct tagset ts;

	int rc = admit(ctx, valid_name(name) && (unsigned)status <= TALLY_CHECK_UNKNOWN, tags,
	               n_tags, &ts);

	if (rc < 0)
		return rc;
	run->svcs = tally_xgrow(run->svcs, &run->cap_svcs, run->n_svcs + 1, sizeof(*sc), 16);
	sc = &run->svcs[run->n_svcs++];
	*sc = (struct tally_check_svc){ .name = tally_xstrdup(name),
		                        .status = (int)status,
		                        .host = ts.host,
		                        .tags = ts.tags,
		                        .n_tags = ts.n,
		                        .message = tally_xstrdup(message ? message : "") };
	return 0;
}

/* v if it is one of the NULL-terminated allowed values (or NULL: the first one). */
static const char *
one_of(const char *v, const char *const *allowed)
{
	if (!v)
		return allowed[0];
	for (size_t i = 0; allowed[i]; i++) {
		if (strcmp(v, allowed[i]) == 0)
			return allowed[i];
	}
	return NULL;
}

static int
op_event(struct tally_check_ctx *ctx, const struct tally_check_event *ev)
{
	static const char *const alerts[] = { "info", "warning", "error", "success", NULL };
	static const char *const prios[] = { "normal", "low", NULL };
	struct tally_check_run *run = ctx->run;
	const char *alert = ev ? one_of(ev->alert_type, alerts) : NULL;
	const char *prio = ev ? one_of(ev->priority, prios) : NULL;
	struct tally_check_evt *e;
	struct tagset ts;

	int rc = admit(ctx, ev && valid_name(ev->title) && alert && prio, ev ? ev->tags : NULL,
	               ev ? ev->n_tags : 0, &ts);

	if (rc < 0)
		return rc;
	run->events = tally_xgrow(run->events, &run->cap_events, run->n_events + 1, sizeof(*e), 16);
	e = &run->events[run->n_events++];
	*e = (struct tally_check_evt){
		.title = tally_xstrdup(ev->title),
		.text = tally_xstrdup(ev->text ? ev->text : ""),
		.alert_type = tally_xstrdup(alert),
		.priority = tally_xstrdup(prio),
		.aggregation_key = tally_xstrdup(ev->aggregation_key ? ev->aggregation_key : ""),
		.source_type_name = tally_xstrdup(ev->source_type_name ? ev->source_type_name : ""),
		.host = ts.host,
		.tags = ts.tags,
		.n_tags = ts.n,
		.timestamp = ev->timestamp ? ev->timestamp : run->wall_s,
	};
	return 0;
}

static void __attribute__((format(printf, 3, 4)))
op_log(struct tally_check_ctx *ctx, enum tally_check_log_level level, const char *fmt, ...)
{
	char msg[1024];
	size_t len;
	va_list ap;
	int lvl = (unsigned)level <= TALLY_CHECK_LOG_DEBUG ? (int)level : TALLY_LOG_INFO;

	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	TALLY_LOG_AT(lvl, "check", "%s check=%s instance=%s", msg, ctx->o.check, ctx->o.instance);
	if (lvl == TALLY_LOG_ERROR) {
		free(ctx->run->last_error);
		ctx->run->last_error = tally_xstrdup(msg);
	} else if (lvl == TALLY_LOG_WARN) {
		free(ctx->run->last_warning);
		ctx->run->last_warning = tally_xstrdup(msg);
	}
}

static const struct tally_check_ops sink_ops = {
	.abi_version = TALLY_CHECK_ABI_VERSION,
	.struct_size = sizeof(struct tally_check_ops),
	.gauge = op_gauge,
	.count = op_count,
	.rate = op_rate,
	.monotonic_count = op_monotonic_count,
	.histogram = op_histogram,
	.service_check = op_service_check,
	.event = op_event,
	.log = op_log,
	.gauge_at = op_gauge_at,
	.dogstatsd = tally_check_sink_dogstatsd,
	.entity_tags = tally_check_sink_entity_tags,
};

const struct tally_check_ops *
tally_check_sink_ops(void)
{
	return &sink_ops;
}

struct tally_check_ctx *
tally_check_sink_new(const struct tally_check_sink_opts *o)
{
	struct tally_check_ctx *ctx = tally_xcalloc(1, sizeof(*ctx));

	ctx->o = *o;
	ctx->run = tally_xcalloc(1, sizeof(*ctx->run));
	ctx->run->check = tally_xstrdup(o->check);
	ctx->run->instance = tally_xstrdup(o->instance);
	ctx->run->wall_s = o->wall_s;
	return ctx;
}

struct tally_check_run *
tally_check_sink_finish(struct tally_check_ctx *ctx)
{
	struct tally_check_run *run = ctx->run;

	if (run->dropped)
		TALLY_WARN("check",
		           "dropped submissions (bad name, value or tags, or over %d per "
		           "run) check=%s instance=%s dropped=%llu",
		           TALLY_CHECK_MAX_SUBMISSIONS, run->check, run->instance,
		           (unsigned long long)run->dropped);
	free(ctx);
	return run;
}
