#include "check_commit.h"

#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "batch.h"
#include "check_sink.h"
#include "xmem.h"

/* Slices for tags; a small stack array covers the common case. */
#define STACK_TAGS 16

static enum tally_mtype
sample_type(enum tally_check_mkind kind)
{
	switch (kind) {
	case TALLY_CK_COUNT:
	case TALLY_CK_MONOTONIC_COUNT:
		return TALLY_MT_COUNT;
	case TALLY_CK_HISTOGRAM:
		return TALLY_MT_HISTOGRAM;
	case TALLY_CK_GAUGE:
	case TALLY_CK_RATE:
	default:
		return TALLY_MT_GAUGE;
	}
}

static struct tally_slice
slice(const char *s)
{
	return (struct tally_slice){ s, strlen(s) };
}

static void
add_metric(struct tally_agg *agg, const struct tally_check_metric *m, int64_t now_s)
{
	struct tally_slice stack[STACK_TAGS], *tags = stack;
	struct tally_sample s = { 0 };

	if (!m->has_value)
		return;
	if (m->n_tags > STACK_TAGS)
		tags = tally_xmalloc(m->n_tags * sizeof(*tags));
	for (size_t i = 0; i < m->n_tags; i++)
		tags[i] = slice(m->tags[i]);
	s.name = slice(m->name);
	s.type = m->wire ? (enum tally_mtype)m->wire_type : sample_type(m->kind);
	s.values = &m->value;
	s.n_values = 1;
	s.sample_rate = m->wire ? m->sample_rate : 1.0;
	if (m->set_value)
		s.set_value = slice(m->set_value);
	/* A gauge_at() or |T sample bypasses the buckets and keeps its own time. */
	s.timestamp = m->timestamp;
	s.tags = tags;
	s.n_tags = m->n_tags;
	s.has_host = true;
	s.host = slice(m->host);
	tally_agg_add(agg, &s, now_s);
	if (tags != stack)
		free(tags);
}

static void
add_svc(struct tally_batch *b, const struct tally_check_svc *c, int64_t ts)
{
	struct tally_service_check sc = {
		.name = c->name,
		.status = c->status,
		.host = c->host,
		.tags = (const char *const *)c->tags,
		.n_tags = c->n_tags,
		.timestamp = ts,
		.message = c->message,
	};

	tally_batch_add_service_check(b, &sc);
}

static void
add_event(struct tally_batch *b, const struct tally_check_evt *e)
{
	struct tally_event ev = {
		.title = e->title,
		.text = e->text,
		.timestamp = e->timestamp,
		.host = e->host,
		.aggregation_key = e->aggregation_key,
		.priority = e->priority,
		.alert_type = e->alert_type,
		.source_type_name = e->source_type_name,
		.tags = (const char *const *)e->tags,
		.n_tags = e->n_tags,
	};

	tally_batch_add_event(b, &ev);
}

void
tally_check_commit_apply(struct tally_agg *agg, struct tally_batch *pending, int64_t now_s,
                         void *arg)
{
	struct tally_check_run *run = arg;

	for (size_t i = 0; i < run->n_metrics; i++)
		add_metric(agg, &run->metrics[i], now_s);
	for (size_t i = 0; i < run->n_svcs; i++)
		add_svc(pending, &run->svcs[i], run->wall_s);
	for (size_t i = 0; i < run->n_events; i++)
		add_event(pending, &run->events[i]);
	tally_check_run_free(run);
}
