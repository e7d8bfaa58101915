/*
 * parse: the DogStatsD parser (parse.h): line splitting, metric lines and their numbers, and
 * the dispatch of service checks and events to parse_events.c.
 */
#include "parse.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"
#include "xmem.h"

static const char *const err_names[] = {
	"ok",        "no_pipe",           "empty_name", "name_too_long", "no_value",
	"bad_value", "bad_type",          "bad_rate",   "bad_timestamp", "too_many_tags",
	"nul_byte",  "bad_service_check", "bad_event",
};
_Static_assert(sizeof(err_names) / sizeof(err_names[0]) == TALLY_PERR__COUNT, "one name per error");

const char *
tally_parse_err_name(enum tally_parse_err err)
{
	if ((unsigned)err >= TALLY_PERR__COUNT)
		return "unknown";
	return err_names[err];
}

struct tally_parser *
tally_parser_new(size_t max_line_bytes)
{
	struct tally_parser *parser;
	size_t cap = max_line_bytes / 2 + 1;

	/* Refusing absurd sizes also keeps the length sums below far from overflowing size_t. */
	if (max_line_bytes == 0 || cap > SIZE_MAX / 4 / sizeof(struct tally_slice))
		return NULL;
	parser = tally_xcalloc(1, sizeof(*parser));
	parser->max_line_bytes = max_line_bytes;
	parser->values = tally_xmalloc(cap * sizeof(*parser->values));
	parser->tags = tally_xmalloc(cap * sizeof(*parser->tags));
	parser->num = tally_xmalloc(max_line_bytes + 1);
	return parser;
}

void
tally_parser_free(struct tally_parser *parser)
{
	if (!parser)
		return;
	free(parser->values);
	free(parser->tags);
	free(parser->num);
	free(parser);
}

/*
 * strtod needs a terminated string and would take "inf", "nan", hex and leading blanks; only
 * decimal notation reaches it, copied into scratch that any slice of a valid line fits in.
 */
static bool
parse_double_slow(char *num, const char *p, size_t n, double *out)
{
	char *end;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c == '\0' || ((c < '0' || c > '9') && !strchr(".eE+-", c)))
			return false;
	}
	memcpy(num, p, n);
	num[n] = '\0';
	*out = strtod(num, &end);
	/* Underflow to 0 is accepted, as Go's ParseFloat does; overflow gives HUGE_VAL. */
	return n && end == num + n && isfinite(*out);
}

/*
 * Almost every value on the wire is a short decimal: with at most 15 digits the mantissa and the
 * power of ten are exact doubles, so one division rounds correctly and strtod is not needed.
 */
static bool
parse_double(char *num, const char *p, size_t n, double *out)
{
	static const double exact_pow10[16] = { 1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
		                                1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	const char *s = p, *end = p + n, *dot = NULL;
	unsigned digits = 0;
	uint64_t m = 0;

	if (s < end && (*s == '-' || *s == '+'))
		s++;
	if (end - s > 16)
		return parse_double_slow(num, p, n, out);
	for (; s < end; s++) {
		unsigned d = (unsigned)(unsigned char)*s - '0';

		if (d <= 9) {
			m = m * 10 + d;
			digits++;
		} else if (*s == '.' && !dot) {
			dot = s;
		} else {
			return parse_double_slow(num, p, n, out);
		}
	}
	if (digits == 0 || digits > 15)
		return parse_double_slow(num, p, n, out);
	*out = dot ? (double)m / exact_pow10[end - dot - 1] : (double)m;
	if (*p == '-')
		*out = -*out;
	return true;
}

/* As parse_internal.h says. */
bool
tally_parse_int64(struct tally_slice s, int64_t *out)
{
	const char *p = s.ptr, *end;
	bool neg = s.len && *p == '-';
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	if (s.len == 0)
		return false;
	end = p + s.len;
	if (*p == '-' || *p == '+')
		p++;
	if (p == end)
		return false;
	for (; p < end; p++) {
		unsigned d = (unsigned)(unsigned char)*p - '0';

		if (d > 9 || v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* The one-letter wire types, plus one so that 0 means "not a type"; "ms" is checked apart. */
static const unsigned char type_by_letter[128] = {
	['c'] = TALLY_MT_COUNTER + 1,      ['g'] = TALLY_MT_GAUGE + 1,
	['h'] = TALLY_MT_HISTOGRAM + 1,    ['s'] = TALLY_MT_SET + 1,
	['d'] = TALLY_MT_DISTRIBUTION + 1,
};

static int
metric_type(struct tally_slice t)
{
	if (t.len == 2 && t.ptr[0] == 'm' && t.ptr[1] == 's')
		return TALLY_MT_TIMER;
	if (t.len == 1 && (unsigned char)t.ptr[0] < 128)
		return type_by_letter[(unsigned char)t.ptr[0]] - 1;
	return -1;
}

/* One value, or a packed "1:2::3" list with empty items skipped; any bad item fails the line. */
static enum tally_parse_err
parse_values(struct tally_parser *parser, const char *lo, struct tally_slice raw,
             struct tally_sample *s)
{
	const char *p = raw.ptr, *end = raw.ptr + raw.len, *colon;
	double *values = parser->values;
	size_t n = 0;

	for (;;) {
		colon = tally_parse_scan(lo, p, end, ':', ':');
		if (colon > p && !parse_double(parser->num, p, (size_t)(colon - p), &values[n++]))
			return TALLY_PERR_BAD_VALUE;
		if (colon == end)
			break;
		p = colon + 1;
	}
	s->values = values;
	s->n_values = n;
	return n ? TALLY_PERR_OK : TALLY_PERR_BAD_VALUE;
}

/* An optional field after the type; unknown ones are ignored and a repeated one wins last. */
static enum tally_parse_err
parse_metric_field(struct tally_parser *parser, const struct tally_parse_fields *it,
                   struct tally_slice f, struct tally_sample *s)
{
	double rate;

	if (f.len == 0)
		return TALLY_PERR_OK;
	switch (f.ptr[0]) {
	case '#':
		s->n_tags = it->n_tags;
		s->tags_raw = (struct tally_slice){ f.ptr + 1, f.len - 1 };
		s->has_host = it->host.found;
		s->host = it->host.found ? it->host.host : (struct tally_slice){ NULL, 0 };
		break;
	case '@':
		if (!parse_double(parser->num, f.ptr + 1, f.len - 1, &rate))
			return TALLY_PERR_BAD_RATE;
		s->sample_rate = rate <= 0.0 || rate > 1.0 ? 1.0 : rate;
		break;
	case 'T':
		f.ptr++;
		f.len--;
		if (!tally_parse_int64(f, &s->timestamp) || s->timestamp < 1)
			return TALLY_PERR_BAD_TIMESTAMP;
		break;
	case 'c':
		if (f.len >= 2 && f.ptr[1] == ':')
			s->container = (struct tally_slice){ f.ptr + 2, f.len - 2 };
		break;
	}
	return TALLY_PERR_OK;
}

/*
 * Field by field on purpose: zeroing the struct with a compound literal compiles to "rep stos",
 * whose startup alone cost a third of a tagged counter line.
 */
static void
sample_init(struct tally_sample *s, struct tally_parser *parser, const char *name, size_t len)
{
	s->name = (struct tally_slice){ name, len };
	s->values = NULL;
	s->n_values = 0;
	s->set_value = (struct tally_slice){ NULL, 0 };
	s->sample_rate = 1.0;
	s->tags = parser->tags;
	s->n_tags = 0;
	s->tags_raw = (struct tally_slice){ NULL, 0 };
	s->has_host = false;
	s->host = (struct tally_slice){ NULL, 0 };
	s->timestamp = 0;
	s->container = (struct tally_slice){ NULL, 0 };
}

static enum tally_parse_err
parse_metric(struct tally_parser *parser, const char *line, size_t len, struct tally_sample *s)
{
	const char *end = line + len, *name_end = tally_parse_scan(line, line, end, ':', '|'),
	           *bar = name_end;
	struct tally_parse_fields it = { .start = line, .end = end, .tags = parser->tags };
	struct tally_slice type_field, f;
	enum tally_parse_err err;
	int type;

	if (name_end < end && *name_end == ':')
		bar = tally_parse_scan(line, name_end + 1, end, '|', '|');
	if (bar == end)
		return TALLY_PERR_NO_PIPE;
	if (*bar == '\0')
		return TALLY_PERR_NUL_BYTE;
	sample_init(s, parser, line, (size_t)(name_end - line));
	if (s->name.len == 0)
		return TALLY_PERR_EMPTY_NAME;
	if (s->name.len > TALLY_NAME_MAX)
		return TALLY_PERR_NAME_TOO_LONG;
	if (bar - name_end < 2)
		return TALLY_PERR_NO_VALUE;
	it.p = bar + 1;
	if (!tally_parse_next_field(&it, &type_field))
		return TALLY_PERR_NUL_BYTE;
	type = metric_type(type_field);
	if (type < 0)
		return TALLY_PERR_BAD_TYPE;
	s->type = (enum tally_mtype)type;
	/* A set member is opaque: "s:a:b|s" is the one member "a:b", never a packed list. */
	s->set_value = (struct tally_slice){ name_end + 1, (size_t)(bar - name_end - 1) };
	if (s->type != TALLY_MT_SET) {
		err = parse_values(parser, line, s->set_value, s);
		if (err)
			return err;
		s->set_value.len = 0;
	}
	while (tally_parse_next_field(&it, &f)) {
		err = parse_metric_field(parser, &it, f, s);
		if (err)
			return err;
	}
	return it.nul ? TALLY_PERR_NUL_BYTE : TALLY_PERR_OK;
}

enum tally_parse_err
tally_parse_line(struct tally_parser *parser, char *line, size_t len, struct tally_parsed_line *out)
{
	enum tally_parse_err err;

	/* The scratch is only guaranteed to fit lines the parser was sized for. */
	if (len > parser->max_line_bytes)
		return TALLY_PERR_TOO_MANY_TAGS;
	out->kind = TALLY_LINE_METRIC;
	if (len >= 3 && memcmp(line, "_e{", 3) == 0)
		out->kind = TALLY_LINE_EVENT;
	else if (len >= 4 && memcmp(line, "_sc|", 4) == 0)
		out->kind = TALLY_LINE_SERVICE_CHECK;
	if (out->kind != TALLY_LINE_METRIC) {
		if (memchr(line, '\0', len))
			return TALLY_PERR_NUL_BYTE;
		if (out->kind == TALLY_LINE_EVENT)
			return tally_parse_event(parser, line, len, &out->u.event);
		return tally_parse_service_check(parser, line, len, &out->u.service_check);
	}
	err = parse_metric(parser, line, len, &out->u.metric);
	/* A good metric line was scanned whole; a bad one may have stopped before its NUL. */
	if (err != TALLY_PERR_OK && err != TALLY_PERR_NUL_BYTE && memchr(line, '\0', len))
		return TALLY_PERR_NUL_BYTE;
	return err;
}
