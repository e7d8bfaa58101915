/*
 * check_dsd: ops->dogstatsd. A check's DogStatsD text goes through the agent's own parser and
 * into the run like any submission: the sink adds the instance's tags and applies its limits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tally/check.h>

#include "check_sink.h"
#include "parse.h"
#include "xmem.h"

/* One line of tags plus an h: host, as NUL-terminated strings. */
struct line_tags {
	char **v;
	size_t n;
};

static int
line_tags(const struct tally_slice *tags, size_t n, struct tally_slice host, struct line_tags *lt)
{
	size_t k = n + (host.len ? 1 : 0);

	if (k > TALLY_CHECK_MAX_TAGS)
		return -EINVAL;
	lt->v = tally_xcalloc(k + 1, sizeof(*lt->v));
	lt->n = k;
	for (size_t i = 0; i < n; i++)
		lt->v[i] = tally_xstrndup(tags[i].ptr, tags[i].len);
	if (host.len) {
		lt->v[n] = tally_xmalloc(host.len + 6);
		memcpy(lt->v[n], "host:", 5);
		memcpy(lt->v[n] + 5, host.ptr, host.len);
		lt->v[n][5 + host.len] = '\0';
	}
	return 0;
}

static void
line_tags_free(struct line_tags *lt)
{
	for (size_t i = 0; i < lt->n; i++)
		free(lt->v[i]);
	free(lt->v);
}

static int
add_service_check(struct tally_check_ctx *ctx, const struct tally_service_check_line *l)
{
	struct line_tags lt;
	char *name, *msg;
	int rc = line_tags(l->tags, l->n_tags, l->host, &lt);

	if (rc < 0)
		return rc;
	name = tally_xstrndup(l->name.ptr, l->name.len);
	msg = tally_xstrndup(l->message.ptr, l->message.len);
	rc = tally_check_sink_ops()->service_check(ctx, name, (enum tally_check_status)l->status,
	                                           (const char *const *)lt.v, lt.n, msg);
	free(msg);
	free(name);
	line_tags_free(&lt);
	return rc;
}

/* An empty slice as NULL (the event's "absent"), else a copy. */
static char *
opt_dup(struct tally_slice s)
{
	return s.len ? tally_xstrndup(s.ptr, s.len) : NULL;
}

static int
add_event(struct tally_check_ctx *ctx, const struct tally_event_line *l)
{
	struct line_tags lt;
	struct tally_check_event ev = { 0 };
	char *f[6];
	int rc = line_tags(l->tags, l->n_tags, l->host, &lt);

	if (rc < 0)
		return rc;
	f[0] = tally_xstrndup(l->title.ptr, l->title.len);
	f[1] = tally_xstrndup(l->text.ptr, l->text.len);
	f[2] = opt_dup(l->alert_type);
	f[3] = opt_dup(l->priority);
	f[4] = opt_dup(l->aggregation_key);
	f[5] = opt_dup(l->source_type_name);
	ev = (struct tally_check_event){ .title = f[0],
		                         .text = f[1],
		                         .alert_type = f[2],
		                         .priority = f[3],
		                         .aggregation_key = f[4],
		                         .source_type_name = f[5],
		                         .timestamp = l->timestamp,
		                         .tags = (const char *const *)lt.v,
		                         .n_tags = lt.n };
	rc = tally_check_sink_ops()->event(ctx, &ev);
	for (size_t i = 0; i < 6; i++)
		free(f[i]);
	line_tags_free(&lt);
	return rc;
}

/* The longest line of [p, end): the parser's scratch is sized for it, not for the whole text. */
static size_t
longest_line(char *p, char *end)
{
	struct tally_slice line;
	size_t max = 1;

	while (tally_parse_next_line(&p, end, &line))
		max = line.len > max ? line.len : max;
	return max;
}

int
tally_check_sink_dogstatsd(struct tally_check_ctx *ctx, const char *text, size_t len,
                           size_t *bad_lines)
{
	struct tally_parser *parser;
	struct tally_slice line;
	struct tally_parsed_line pl;
	size_t bad = 0;
	int accepted = 0;
	char *buf, *cursor, *end;

	if (bad_lines)
		*bad_lines = 0;
	if (!ctx || (!text && len))
		return -EINVAL;
	if (len == 0)
		return 0;
	/* The parser unescapes events in place, and the text is borrowed read-only. */
	buf = tally_xmalloc(len);
	memcpy(buf, text, len);
	cursor = buf;
	end = buf + len;
	parser = tally_parser_new(longest_line(buf, end));
	while (tally_parse_next_line(&cursor, end, &line)) {
		char *p = (char *)line.ptr;
		int rc;

		if (tally_parse_line(parser, p, line.len, &pl) != TALLY_PERR_OK) {
			bad++;
			continue;
		}
		if (pl.kind == TALLY_LINE_METRIC)
			rc = tally_check_sink_add_sample(ctx, &pl.u.metric);
		else if (pl.kind == TALLY_LINE_SERVICE_CHECK)
			rc = add_service_check(ctx, &pl.u.service_check);
		else
			rc = add_event(ctx, &pl.u.event);
		if (rc == 0 && accepted < INT32_MAX)
			accepted++;
		else if (rc < 0)
			bad++;
	}
	tally_parser_free(parser);
	free(buf);
	if (bad_lines)
		*bad_lines = bad;
	return accepted;
}
