/*
 * parse_events: the DogStatsD lines that are not metrics, service checks ("_sc|") and events
 * ("_e{"), with their optional "k:value" fields and the in-place unescaping of event text. The
 * dispatch, the NUL check and the scanning helpers are in parse.c and parse_internal.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"
#include "parse_internal.h"

/*
 * The optional fields of a service check or an event: '#' takes the tags, and "k:value" with k
 * in keys puts value in the slot of the same index, the last repeat winning; others are ignored.
 */
static void
parse_kv_fields(struct tally_parse_fields *it, const char *keys, struct tally_slice *slots,
                size_t *n_tags, struct tally_parse_host *host)
{
	struct tally_slice f;
	const char *k;

	while (tally_parse_next_field(it, &f)) {
		if (f.len && f.ptr[0] == '#') {
			*n_tags = it->n_tags;
			*host = it->host;
		} else if (f.len >= 2 && f.ptr[1] == ':' && (k = strchr(keys, f.ptr[0])) && *k) {
			slots[k - keys] = (struct tally_slice){ f.ptr + 2, f.len - 2 };
		}
	}
}

enum tally_parse_err
tally_parse_service_check(struct tally_parser *parser, char *line, size_t len,
                          struct tally_service_check_line *sc)
{
	struct tally_parse_fields it = {
		.start = line, .p = line + 4, .end = line + len, .tags = parser->tags
	};
	struct tally_parse_host host = { false, { NULL, 0 } };
	struct tally_slice status, kv[3] = { { NULL, 0 } }; /* d: h: m: */

	*sc = (struct tally_service_check_line){ .tags = parser->tags };
	if (!tally_parse_next_field(&it, &sc->name) || sc->name.len == 0 ||
	    !tally_parse_next_field(&it, &status))
		return TALLY_PERR_BAD_SERVICE_CHECK;
	if (status.len != 1 || status.ptr[0] < '0' || status.ptr[0] > '3')
		return TALLY_PERR_BAD_SERVICE_CHECK;
	sc->status = status.ptr[0] - '0';
	parse_kv_fields(&it, "dhm", kv, &sc->n_tags, &host);
	tally_parse_int64(kv[0], &sc->timestamp); /* a bad d: is ignored, not fatal */
	/* h: is the explicit field, so it beats a host: tag wherever each appears. */
	sc->host = kv[1].len || !host.found ? kv[1] : host.host;
	sc->message = kv[2];
	return TALLY_PERR_OK;
}

/* Turns each two-byte "\n" into a newline, in place; returns the new length. */
static size_t
unescape_newlines(char *p, size_t n)
{
	char *end = p + n, *r = memchr(p, '\\', n), *w;

	if (!r)
		return n;
	for (w = r; r < end; w++) {
		if (r[0] == '\\' && r + 1 < end && r[1] == 'n') {
			*w = '\n';
			r += 2;
		} else {
			*w = *r++;
		}
	}
	return (size_t)(w - p);
}

static bool
slice_is(struct tally_slice s, const char *str)
{
	return s.len == strlen(str) && memcmp(s.ptr, str, s.len) == 0;
}

/*
 * _e{tlen,xlen}:title|text|...: the lengths count escaped bytes, so title and text may hold '|';
 * the separator byte after each is skipped unchecked, as the Datadog agent does.
 */
enum tally_parse_err
tally_parse_event(struct tally_parser *parser, char *line, size_t len, struct tally_event_line *ev)
{
	char *end = line + len, *body = memchr(line, ':', len), *comma, *title = line + 3;
	struct tally_parse_fields it = { .start = line, .end = end, .tags = parser->tags };
	struct tally_parse_host host = { false, { NULL, 0 } };
	struct tally_slice kv[6] = { { NULL, 0 } }; /* d: h: k: p: s: t: */
	int64_t title_len, text_len;
	size_t need;

	*ev = (struct tally_event_line){ .tags = parser->tags };
	comma = body ? memchr(line, ',', (size_t)(body - line)) : NULL;
	if (!comma || body[-1] != '}' ||
	    !tally_parse_int64((struct tally_slice){ title, (size_t)(comma - title) },
	                       &title_len) ||
	    !tally_parse_int64((struct tally_slice){ comma + 1, (size_t)(body - comma - 2) },
	                       &text_len))
		return TALLY_PERR_BAD_EVENT;
	body++;
	/* Bounding both by len first keeps the sum from overflowing. */
	if (title_len < 1 || text_len < 0 || (uint64_t)title_len > len || (uint64_t)text_len > len)
		return TALLY_PERR_BAD_EVENT;
	need = (size_t)title_len + 1 + (size_t)text_len;
	if (need > (size_t)(end - body))
		return TALLY_PERR_BAD_EVENT;
	if (need < (size_t)(end - body))
		it.p = body + need + 1;
	ev->text.ptr = body + title_len + 1;
	ev->text.len = unescape_newlines(body + title_len + 1, (size_t)text_len);
	ev->title.ptr = body;
	ev->title.len = unescape_newlines(body, (size_t)title_len);
	parse_kv_fields(&it, "dhkpst", kv, &ev->n_tags, &host);
	tally_parse_int64(kv[0], &ev->timestamp); /* bad d:, p: or t: are ignored, not fatal */
	ev->host = kv[1].len || !host.found ? kv[1] : host.host; /* as for service checks */
	ev->aggregation_key = kv[2];
	if (slice_is(kv[3], "normal") || slice_is(kv[3], "low"))
		ev->priority = kv[3];
	ev->source_type_name = kv[4];
	if (slice_is(kv[5], "error") || slice_is(kv[5], "warning") || slice_is(kv[5], "info") ||
	    slice_is(kv[5], "success"))
		ev->alert_type = kv[5];
	return TALLY_PERR_OK;
}
