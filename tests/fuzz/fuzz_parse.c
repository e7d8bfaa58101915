/*
 * libFuzzer harness for the DogStatsD parser: one input is one datagram.
 *
 * The datagram is copied into a heap block of exactly its size, so ASan flags any read or write
 * outside it (the brubeck ":1|c" class of bug). Every line is parsed with a parser sized for the
 * whole datagram, as the receiver does, and once more with one sized for that line alone, where
 * the scratch is tightest; the whole datagram is also fed as a single line. Results are checked
 * against the header's promises, and a broken promise aborts so the fuzzer records it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *buf_lo, *buf_hi;

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_parse: broken promise: %s\n", what);
		abort();
	}
}

static void
check_slice(struct tally_slice s, const char *what)
{
	if (s.len == 0)
		return;
	check(s.ptr >= buf_lo && s.len <= (size_t)(buf_hi - s.ptr), what);
	check(memchr(s.ptr, '\0', s.len) == NULL, "NUL inside an accepted slice");
}

static void
check_tags(const struct tally_slice *tags, size_t n, int host_removed)
{
	for (size_t i = 0; i < n; i++) {
		check_slice(tags[i], "tag outside the line");
		check(tags[i].len > 0, "empty tag kept");
		check(memchr(tags[i].ptr, ',', tags[i].len) == NULL, "tag holds ','");
		check(memchr(tags[i].ptr, '|', tags[i].len) == NULL, "tag holds '|'");
		if (host_removed)
			check(tags[i].len < 5 || memcmp(tags[i].ptr, "host:", 5) != 0,
			      "host: tag left in the tags");
	}
}

static void
check_metric(const struct tally_sample *s)
{
	check_slice(s->name, "name outside the line");
	check(s->name.len > 0 && s->name.len <= TALLY_NAME_MAX, "name length");
	check(memchr(s->name.ptr, ':', s->name.len) == NULL, "name holds ':'");
	check(memchr(s->name.ptr, '|', s->name.len) == NULL, "name holds '|'");
	check((unsigned)s->type < TALLY_MT_COUNT, "type");
	if (s->type == TALLY_MT_SET) {
		check(s->set_value.len > 0, "empty set member");
		check_slice(s->set_value, "set member outside the line");
	} else {
		check(s->n_values > 0, "no values");
		for (size_t i = 0; i < s->n_values; i++)
			check(isfinite(s->values[i]), "value not finite");
	}
	check(s->sample_rate > 0.0 && s->sample_rate <= 1.0, "rate outside (0, 1]");
	check(s->timestamp >= 0, "negative timestamp");
	check_tags(s->tags, s->n_tags, 1);
	check_slice(s->host, "host outside the line");
	check(s->has_host || s->host.len == 0, "host without has_host");
	check_slice(s->container, "container outside the line");
}

static void
check_line(const struct tally_parsed_line *out)
{
	const struct tally_service_check_line *sc = &out->u.service_check;
	const struct tally_event_line *ev = &out->u.event;

	switch (out->kind) {
	case TALLY_LINE_METRIC:
		check_metric(&out->u.metric);
		break;
	case TALLY_LINE_SERVICE_CHECK:
		check_slice(sc->name, "check name outside the line");
		check(sc->name.len > 0 && sc->status >= 0 && sc->status <= 3, "check name/status");
		check_slice(sc->host, "check host outside the line");
		check_slice(sc->message, "check message outside the line");
		check_tags(sc->tags, sc->n_tags, 1);
		break;
	case TALLY_LINE_EVENT:
		check_slice(ev->title, "title outside the line");
		check(ev->title.len > 0, "empty title");
		check_slice(ev->text, "text outside the line");
		check_slice(ev->host, "event host outside the line");
		check_slice(ev->aggregation_key, "key outside the line");
		check_slice(ev->priority, "priority outside the line");
		check_slice(ev->source_type_name, "source outside the line");
		check_slice(ev->alert_type, "alert type outside the line");
		check_tags(ev->tags, ev->n_tags, 1);
		break;
	default:
		check(0, "line kind");
	}
}

static void
parse_one(struct tally_parser *parser, char *line, size_t len)
{
	struct tally_parsed_line out;
	enum tally_parse_err err = tally_parse_line(parser, line, len, &out);

	check((unsigned)err < TALLY_PERR__COUNT, "error kind");
	check(tally_parse_err_name(err) != NULL, "error name");
	if (err == TALLY_PERR_OK)
		check_line(&out);
	else if (memchr(line, '\0', len))
		check(err == TALLY_PERR_NUL_BYTE || err == TALLY_PERR_TOO_MANY_TAGS, "NUL missed");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tally_parser *parser, *tight;
	struct tally_slice line;
	char *buf, *cursor;

	if (size == 0)
		return 0;
	buf = malloc(size);
	memcpy(buf, data, size);
	buf_lo = buf;
	buf_hi = buf + size;
	parser = tally_parser_new(size);

	cursor = buf;
	while (tally_parse_next_line(&cursor, buf + size, &line)) {
		check(line.ptr >= buf && line.len > 0 && line.len <= (size_t)(buf_hi - line.ptr),
		      "line outside the datagram");
		check(memchr(line.ptr, '\n', line.len) == NULL, "line holds '\\n'");
		/* Events unescape in place, so the second parse sees the first one's output. */
		parse_one(parser, (char *)line.ptr, line.len);
		tight = tally_parser_new(line.len);
		parse_one(tight, (char *)line.ptr, line.len);
		tally_parser_free(tight);
	}

	memcpy(buf, data, size);
	parse_one(parser, buf, size);
	if (size > 1) {
		tight = tally_parser_new(size - 1);
		check(tally_parse_line(tight, buf, size, &(struct tally_parsed_line){ 0 }) ==
		          TALLY_PERR_TOO_MANY_TAGS,
		      "a line longer than the parser's size was accepted");
		tally_parser_free(tight);
	}
	tally_parser_free(parser);
	free(buf);
	return 0;
}
