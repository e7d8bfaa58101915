#include "rx_process.h"

#include <string.h>

#include "agg.h"
#include "batch.h"
#include "ctx_table.h"
#include "log.h"
#include "parse.h"

/* Bad-input log lines: first one at once, then at most one every 10 s per kind. */
#define BAD_INPUT_LOG_MS 10000
/* Longest tag list copied for a service check or event; more are dropped. */
#define MAX_EXTRA_TAGS 256

static struct tally_ratelimit parse_error_rl;
static struct tally_ratelimit truncated_rl;

/* Copies at most 80 bytes of an offending line with control bytes shown as '?'. */
static void
printable_excerpt(const char *p, size_t len, char *out, size_t out_len)
{
	size_t n = len < out_len - 1 ? len : out_len - 1;

	if (n > 80)
		n = 80;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[n] = '\0';
}

static const char *
slice_dup(struct tally_batch *b, struct tally_slice s)
{
	return tally_batch_strndup(b, s.ptr ? s.ptr : "", s.ptr ? s.len : 0);
}

/* Copies up to MAX_EXTRA_TAGS tags into the batch, then the origin tag if there is one. */
static size_t
tags_dup(struct tally_rx_ctx *ctx, const struct tally_slice *tags, size_t n, const char **out)
{
	if (n > MAX_EXTRA_TAGS)
		n = MAX_EXTRA_TAGS;
	for (size_t i = 0; i < n; i++)
		out[i] = slice_dup(ctx->pending, tags[i]);
	if (ctx->origin_tag)
		out[n++] = ctx->origin_tag;
	return n;
}

static const char *
host_or_default(struct tally_rx_ctx *ctx, struct tally_slice host)
{
	return host.len ? slice_dup(ctx->pending, host) : ctx->default_host;
}

static void
add_service_check(struct tally_rx_ctx *ctx, const struct tally_service_check_line *l)
{
	const char *tags[MAX_EXTRA_TAGS + 1];
	struct tally_service_check sc = {
		.name = slice_dup(ctx->pending, l->name),
		.status = l->status,
		.host = host_or_default(ctx, l->host),
		.timestamp = l->timestamp ? l->timestamp : ctx->now_s,
		.message = slice_dup(ctx->pending, l->message),
		.tags = tags,
	};

	sc.n_tags = tags_dup(ctx, l->tags, l->n_tags, tags);
	tally_batch_add_service_check(ctx->pending, &sc);
	ctx->counters->service_checks++;
}

static void
add_event(struct tally_rx_ctx *ctx, const struct tally_event_line *l)
{
	const char *tags[MAX_EXTRA_TAGS + 1];
	struct tally_event ev = {
		.title = slice_dup(ctx->pending, l->title),
		.text = slice_dup(ctx->pending, l->text),
		.timestamp = l->timestamp ? l->timestamp : ctx->now_s,
		.host = host_or_default(ctx, l->host),
		.aggregation_key = slice_dup(ctx->pending, l->aggregation_key),
		.priority = slice_dup(ctx->pending, l->priority),
		.alert_type = slice_dup(ctx->pending, l->alert_type),
		.source_type_name = slice_dup(ctx->pending, l->source_type_name),
		.tags = tags,
	};

	ev.n_tags = tags_dup(ctx, l->tags, l->n_tags, tags);
	tally_batch_add_event(ctx->pending, &ev);
	ctx->counters->events++;
}

/* The sample with the sender's container tag added (ctx->origin_tag set). */
static const struct tally_sample *
with_origin(struct tally_rx_ctx *ctx, const struct tally_sample *s, struct tally_sample *copy)
{
	const char *tag = ctx->origin_tag;

	*copy = *s;
	if (s->n_tags)
		memcpy(ctx->tag_scratch, s->tags, s->n_tags * sizeof(*s->tags));
	ctx->tag_scratch[s->n_tags] = (struct tally_slice){ tag, strlen(tag) };
	copy->tags = ctx->tag_scratch;
	copy->n_tags = s->n_tags + 1;
	copy->tags_raw = (struct tally_slice){ NULL, 0 }; /* no longer all the tags */
	return copy;
}

static void
add_metric(struct tally_rx_ctx *ctx, const struct tally_sample *s)
{
	struct tally_sample copy;

	if (ctx->origin_tag)
		s = with_origin(ctx, s, &copy);
	/* Drops are counted inside the aggregator and published from its stats at flush. */
	if (tally_agg_add(ctx->agg, s, ctx->now_s) == TALLY_AGG_OK)
		ctx->counters->metrics += s->type == TALLY_MT_SET ? 1 : s->n_values;
}

/* ---- the keyed pipeline ---- */

/*
 * A single-value sample without a timestamp (nearly every line) is keyed when parsed, and added
 * PIPE_DEPTH lines later: meanwhile its table slot, then its context, are prefetched, so the
 * lookups of a table larger than the caches do not stall. Lines are added in their order; any
 * other line waits until the pipeline is empty.
 */
#define PIPE_DEPTH     8
#define PIPE_CTX_AHEAD (PIPE_DEPTH / 2) /* lines before its add that a context is prefetched */

struct pipe_entry {
	struct tally_ctx_key k;
	struct tally_ctx *guess; /* its context, probably, once prefetched */
	const char *line;        /* parsed again only if its context must be created */
	size_t len;
	double value, sample_rate;
	enum tally_mtype type;
};

struct pipe {
	struct pipe_entry e[PIPE_DEPTH];
	unsigned head, n; /* oldest entry, entries in flight */
	bool reparsed;    /* the parser's scratch was reused since the current line was parsed */
	/*
	 * What an entry is added as; set up once per datagram, since zeroing a sample per line
	 * compiles to "rep stos", whose startup alone costs more than the add.
	 */
	struct tally_sample sample;
};

static bool
pipe_takes(const struct tally_sample *s)
{
	return s->n_values == 1 && s->timestamp == 0 && s->type != TALLY_MT_SET;
}

/* Adds the oldest entry. */
static void
pipe_retire(struct tally_rx_ctx *ctx, struct pipe *pp)
{
	const struct pipe_entry *e = &pp->e[pp->head];
	struct tally_sample *s = &pp->sample;
	enum tally_agg_result r;
	struct tally_parsed_line parsed;

	s->type = e->type;
	s->values = &e->value;
	s->sample_rate = e->sample_rate;
	pp->head = (pp->head + 1) % PIPE_DEPTH;
	pp->n--;
	if (tally_agg_add_keyed(ctx->agg, s, &e->k, e->guess, ctx->now_s, &r)) {
		if (r == TALLY_AGG_OK)
			ctx->counters->metrics++;
		return;
	}
	/* A new context needs the tags, which only the line still has. */
	pp->reparsed = true;
	if (tally_parse_line(ctx->parser, (char *)e->line, e->len, &parsed) == TALLY_PERR_OK)
		add_metric(ctx, &parsed.u.metric);
}

static void
pipe_drain(struct tally_rx_ctx *ctx, struct pipe *pp)
{
	while (pp->n)
		pipe_retire(ctx, pp);
}

static void
pipe_push(struct tally_rx_ctx *ctx, struct pipe *pp, const struct tally_sample *s,
          struct tally_slice line)
{
	struct pipe_entry *e = &pp->e[(pp->head + pp->n) % PIPE_DEPTH];
	struct tally_sample copy;

	if (ctx->origin_tag)
		s = with_origin(ctx, s, &copy);
	tally_agg_key(ctx->agg, s, &e->k);
	e->line = line.ptr;
	e->len = line.len;
	e->value = s->values[0];
	e->sample_rate = s->sample_rate;
	e->type = s->type;
	e->guess = NULL;
	pp->n++;
	if (pp->n > PIPE_CTX_AHEAD) {
		e = &pp->e[(pp->head + pp->n - 1 - PIPE_CTX_AHEAD) % PIPE_DEPTH];
		e->guess = tally_agg_prefetch_ctx(ctx->agg, &e->k);
	}
	/* Only now: an add may parse its line again, over the scratch *s points into. */
	if (pp->n == PIPE_DEPTH)
		pipe_retire(ctx, pp);
}

/* Any other metric line: after everything before it, from a scratch that may need a reparse. */
static void
pipe_bypass(struct tally_rx_ctx *ctx, struct pipe *pp, struct tally_slice line,
            struct tally_parsed_line *parsed)
{
	pipe_drain(ctx, pp);
	if (pp->reparsed &&
	    tally_parse_line(ctx->parser, (char *)line.ptr, line.len, parsed) != TALLY_PERR_OK)
		return;
	add_metric(ctx, &parsed->u.metric);
}

static void
count_parse_error(struct tally_rx_ctx *ctx, enum tally_parse_err err, const char *line, size_t len)
{
	char excerpt[96];

	ctx->counters->parse_errors[err]++;
	if (tally_log_level_current < TALLY_LOG_WARN)
		return;
	printable_excerpt(line, len, excerpt, sizeof(excerpt));
	tally_log_ratelimited(&parse_error_rl, BAD_INPUT_LOG_MS, TALLY_LOG_WARN, "dogstatsd",
	                      "dropped unparsable line reason=%s line=\"%s\"",
	                      tally_parse_err_name(err), excerpt);
}

void
tally_rx_process(struct tally_rx_ctx *ctx, enum tally_listener_kind kind, char *buf, size_t len,
                 bool truncated)
{
	struct tally_parsed_line parsed;
	struct tally_slice line;
	char *cur = buf, *end = buf + len;
	enum tally_parse_err err;
	struct pipe pp;

	pp.head = pp.n = 0;
	memset(&pp.sample, 0, sizeof(pp.sample));
	pp.sample.n_values = 1;

	ctx->counters->packets[kind]++;
	ctx->counters->bytes[kind] += len;
	if (truncated) {
		/* Whatever follows the last newline was cut by the buffer: never half-parse it. */
		char *nl = memrchr(buf, '\n', len);

		ctx->counters->truncated++;
		tally_log_ratelimited(&truncated_rl, BAD_INPUT_LOG_MS, TALLY_LOG_WARN, "dogstatsd",
		                      "datagram larger than dogstatsd_buffer_size, last line "
		                      "dropped buffer_size=%zu",
		                      len);
		end = nl ? nl : buf;
	}
	while (tally_parse_next_line(&cur, end, &line)) {
		err = tally_parse_line(ctx->parser, (char *)line.ptr, line.len, &parsed);
		pp.reparsed = false;
		if (err != TALLY_PERR_OK) {
			count_parse_error(ctx, err, line.ptr, line.len);
			continue;
		}
		switch (parsed.kind) {
		case TALLY_LINE_METRIC:
			if (pipe_takes(&parsed.u.metric))
				pipe_push(ctx, &pp, &parsed.u.metric, line);
			else
				pipe_bypass(ctx, &pp, line, &parsed);
			break;
		case TALLY_LINE_SERVICE_CHECK:
			add_service_check(ctx, &parsed.u.service_check);
			break;
		case TALLY_LINE_EVENT:
			add_event(ctx, &parsed.u.event);
			break;
		}
	}
	pipe_drain(ctx, &pp);
}
