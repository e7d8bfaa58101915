/*
 * parse: the DogStatsD datagram parser. Bytes in, structs out: no sockets, no I/O.
 *
 * It works in place over the caller's buffer and allocates nothing per line: the parser object
 * owns scratch arrays (values, tag slices) sized once for the largest datagram, and every slice
 * it returns points into the caller's buffer or into that scratch, valid until the next call
 * on the same parser. Event title and text are unescaped in place ("\\n" -> newline), so the
 * buffer must be writable. One parser per thread; not thread-safe.
 *
 * Grammar (reference/dogstatsd.md §1): metric lines
 *   name:value[:value...]|type[|@rate][|#tag,tag][|Tts][|c:container][|unknown...]
 * service checks  _sc|name|status[|d:ts][|h:host][|#tags][|m:message]
 * events _e{tlen,xlen}:title|text[|d:ts][|h:host][|k:key][|p:prio][|s:src][|t:type][|#tags] Lines
 * are split on '\n', one trailing '\r' is stripped, empty lines are skipped and an unterminated
 * last line is accepted.
 */
#ifndef TALLY_CORE_PARSE_H
#define TALLY_CORE_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sample.h"

/* Longest metric name accepted, in bytes (Datadog's limit is 200 characters). */
#define TALLY_NAME_MAX 200

/* Why a line was rejected; 0 is success. Each kind is counted as tally.parse_errors{reason}. */
enum tally_parse_err {
	TALLY_PERR_OK = 0,
	TALLY_PERR_NO_PIPE,       /* metric line without '|' */
	TALLY_PERR_EMPTY_NAME,    /* ":1|c" */
	TALLY_PERR_NAME_TOO_LONG, /* over TALLY_NAME_MAX */
	TALLY_PERR_NO_VALUE,      /* "name|c", "name:|c" */
	TALLY_PERR_BAD_VALUE,     /* not a number, NaN, Inf, overflow (1e999), empty packed list */
	TALLY_PERR_BAD_TYPE,      /* missing or unknown type */
	TALLY_PERR_BAD_RATE,      /* "@", "@x", NaN/Inf rate */
	TALLY_PERR_BAD_TIMESTAMP, /* "|T" not an integer >= 1 */
	TALLY_PERR_TOO_MANY_TAGS, /* more tags than the scratch holds (cannot happen for
	                             datagrams within the configured buffer size) */
	TALLY_PERR_NUL_BYTE,      /* a NUL byte inside the line */
	TALLY_PERR_BAD_SERVICE_CHECK,
	TALLY_PERR_BAD_EVENT,
	TALLY_PERR__COUNT
};

/* Short stable names ("no_pipe", "empty_name", ...) used as the reason tag; never NULL. */
const char *tally_parse_err_name(enum tally_parse_err err);

enum tally_line_kind {
	TALLY_LINE_METRIC = 0,
	TALLY_LINE_SERVICE_CHECK,
	TALLY_LINE_EVENT,
};

struct tally_service_check_line {
	struct tally_slice name;
	int status;              /* 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN */
	int64_t timestamp;       /* 0 when absent */
	struct tally_slice host; /* empty when absent */
	const struct tally_slice *tags;
	size_t n_tags;
	struct tally_slice message;
};

/*
 * Event fields are empty when absent; priority (normal|low) and alert_type
 * (error|warning|info|success) are also empty when the value is not one of those, and the
 * defaults ("normal", "info") are the consumer's to apply. For service checks and events an h:
 * field beats a host: tag, which is removed from the tags either way.
 */
struct tally_event_line {
	struct tally_slice title; /* unescaped */
	struct tally_slice text;  /* unescaped */
	int64_t timestamp;        /* 0 when absent */
	struct tally_slice host, aggregation_key, priority, source_type_name, alert_type;
	const struct tally_slice *tags;
	size_t n_tags;
};

struct tally_parsed_line {
	enum tally_line_kind kind;
	union {
		struct tally_sample metric;
		struct tally_service_check_line service_check;
		struct tally_event_line event;
	} u;
};

struct tally_parser;

/*
 * Returns a parser whose scratch fits any line of up to max_line_bytes; free it with
 * tally_parser_free(). Returns NULL on a zero size.
 */
struct tally_parser *tally_parser_new(size_t max_line_bytes);
/* Accepts NULL. */
void tally_parser_free(struct tally_parser *parser);

/*
 * The first '\n' in [p, end), or NULL. Lines are short: an inline SSE2 loop finds the newline
 * in two or three steps where a call to memchr costs more than the search; the last bytes of a
 * datagram, under 16, go to memchr.
 */
static inline char *
tally_parse_find_newline(char *p, char *end)
{
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n');

	for (; end - p >= 16; p += 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), nl));

		if (m)
			return p + __builtin_ctz(m);
	}
#endif
	return p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
}

/*
 * Cuts the next line from [*cursor, end): strips '\n' and one '\r', skips empty lines.
 * Returns 1 and sets *line when there is one (advancing *cursor past it), 0 at the end.
 * Inline, with its newline search: it runs once per line, and a call costs more than the line's
 * framing.
 */
static inline int
tally_parse_next_line(char **cursor, char *end, struct tally_slice *line)
{
	while (*cursor < end) {
		char *start = *cursor;
		char *nl = tally_parse_find_newline(start, end);
		char *stop = nl ? nl : end;

		*cursor = nl ? nl + 1 : end;
		if (stop > start && stop[-1] == '\r')
			stop--;
		if (stop > start) {
			line->ptr = start;
			line->len = (size_t)(stop - start);
			return 1;
		}
	}
	return 0;
}

/*
 * Parses one line (as cut by tally_parse_next_line, writable since events unescape in place).
 * Returns TALLY_PERR_OK and fills *out, or the reason the line was rejected. For metrics the
 * host: tag is removed from tags into has_host/host; the sample rate is clamped into (0, 1]
 * (0, negative or > 1 count as 1). A line longer than the parser's max_line_bytes is refused
 * with TALLY_PERR_TOO_MANY_TAGS, since its scratch is only sized for lines up to that length.
 * A line is a service check only when it starts with "_sc|" (the agent's "_sc" prefix would also
 * take metrics named "_sc..."); one starting with "_e{" is an event; anything else is a metric.
 */
enum tally_parse_err tally_parse_line(struct tally_parser *parser, char *line, size_t len,
                                      struct tally_parsed_line *out);

#endif
