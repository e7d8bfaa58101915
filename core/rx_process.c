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

/* Copies up to MAX_EXTRA_TAGS tags into the batch, then the origin's tags if there are any. */
static size_t
tags_dup(struct tally_rx_ctx *ctx, const struct tally_slice *tags, size_t n, const char **out)
{
	if (n > MAX_EXTRA_TAGS)
		n = MAX_EXTRA_TAGS;
	for (size_t i = 0; i < n; i++)
		out[i] = slice_dup(ctx->pending, tags[i]);
	if (ctx->origin_tag)
		out[n++] = ctx->origin_tag;
	for (size_t i = 0; i < ctx->n_origin_extra; i++)
		out[n++] = slice_dup(ctx->pending, ctx->origin_extra[i]);
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
	const char *tags[MAX_EXTRA_TAGS + 1 + TALLY_RX_ENTITY_TAGS];
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
	const char *tags[MAX_EXTRA_TAGS + 1 + TALLY_RX_ENTITY_TAGS];
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

#define ENTITY_TAG     "dd.internal.entity_id:"
#define ENTITY_TAG_LEN (sizeof(ENTITY_TAG) - 1)

static bool
is_entity_tag(struct tally_slice t)
{
	return t.len > ENTITY_TAG_LEN && memcmp(t.ptr, ENTITY_TAG, ENTITY_TAG_LEN) == 0;
}

/*
 * dogstatsd_origin_detection_client: the container a line names itself, from |c:ci-ID (or a
 * bare ID) or a dd.internal.entity_id:ID tag. Returns its length (0: none) and *id.
 */
static size_t
client_origin(const struct tally_sample *s, const char **id)
{
	struct tally_slice c = s->container;

	if (c.len > 3 && memcmp(c.ptr, "ci-", 3) == 0) {
		*id = c.ptr + 3;
		return c.len - 3;
	}
	if (c.len && memchr(c.ptr, '-', c.len) == NULL) {
		*id = c.ptr;
		return c.len;
	}
	for (size_t i = 0; i < s->n_tags; i++)
		if (is_entity_tag(s->tags[i])) {
			*id = s->tags[i].ptr + ENTITY_TAG_LEN;
			return s->tags[i].len - ENTITY_TAG_LEN;
		}
	return 0;
}

/* Appends the entity tags of container id[0..len) and its container_id: tag. */
static size_t
add_client_tags(struct tally_rx_ctx *ctx, const char *id, size_t len, struct tally_slice *out)
{
	const struct tally_slice *et = NULL;
	size_t n = 0, ne = 0;

	if (len == 0 || len > 64)
		return 0;
	if (ctx->entity_lookup)
		et = ctx->entity_lookup(ctx->entity_arg, id, len, ctx->now_s, &ne);
	memcpy(ctx->field_tag, "container_id:", 13);
	memcpy(ctx->field_tag + 13, id, len);
	out[n++] = (struct tally_slice){ ctx->field_tag, 13 + len };
	for (size_t i = 0; i < ne; i++)
		out[n++] = et[i];
	return n;
}

/*
 * The sample with its origin's tags added: the sender's container tag (ctx->origin_tag) and
 * the tags published for that container, or with origin_client the container the line names.
 */
static const struct tally_sample *
with_origin(struct tally_rx_ctx *ctx, const struct tally_sample *s, struct tally_sample *copy)
{
	struct tally_slice *out = ctx->tag_scratch;
	size_t n = 0;
	const char *id = NULL;
	size_t id_len = ctx->origin_client ? client_origin(s, &id) : 0;

	if (!ctx->origin_tag && id_len == 0)
		return s;
	*copy = *s;
	for (size_t i = 0; i < s->n_tags; i++)
		if (!ctx->origin_client || !is_entity_tag(s->tags[i]))
			out[n++] = s->tags[i];
	if (ctx->origin_tag) {
		out[n++] = (struct tally_slice){ ctx->origin_tag, strlen(ctx->origin_tag) };
		for (size_t i = 0; i < ctx->n_origin_extra; i++)
			out[n++] = ctx->origin_extra[i];
	} else {
		n += add_client_tags(ctx, id, id_len, out + n);
	}
	copy->tags = out;
	copy->n_tags = n;
	copy->tags_raw = (struct tally_slice){ NULL, 0 }; /* no longer all the tags */
	return copy;
}

void
tally_rx_set_origin(struct tally_rx_ctx *ctx, const char *origin_tag)
{
	ctx->origin_tag = origin_tag;
	ctx->origin_extra = NULL;
	ctx->n_origin_extra = 0;
	if (origin_tag && ctx->entity_lookup && strncmp(origin_tag, "container_id:", 13) == 0)
		ctx->origin_extra =
		    ctx->entity_lookup(ctx->entity_arg, origin_tag + 13, strlen(origin_tag + 13),
		                       ctx->now_s, &ctx->n_origin_extra);
}

static void
add_metric(struct tally_rx_ctx *ctx, const struct tally_sample *s)
{
	struct tally_sample copy;

	if (ctx->origin_tag || ctx->origin_client)
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

	if (ctx->origin_tag || ctx->origin_client)
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
	uint64_t metrics_before = ctx->counters->metrics;

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
			ctx->counters->parse_errors_by[kind]++;
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
	ctx->counters->metrics_by[kind] += ctx->counters->metrics - metrics_before;
}
