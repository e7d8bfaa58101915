#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse.h"
#include "parse_internal.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* An input with embedded NULs: its length comes from the literal, not strlen. */
#define RAW(s) .in = (s), .len = sizeof(s) - 1

/*
 * Every input is copied into a heap block of exactly its length, without a terminator, so
 * ASan reports any read outside the line.
 */
static char *
dup_exact(const char *in, size_t len)
{
	char *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	memcpy(buf, in, len);
	return buf;
}

static enum tally_parse_err
parse_exact(struct tally_parser *parser, char **buf, const char *in, size_t len,
            struct tally_parsed_line *out)
{
	*buf = dup_exact(in, len);
	return tally_parse_line(parser, *buf, len, out);
}

static void
assert_slice(struct tally_slice s, const char *want)
{
	if (!want)
		want = "";
	if (s.len != strlen(want) || (s.len && memcmp(s.ptr, want, s.len) != 0))
		fail_msg("slice \"%.*s\" != \"%s\"", (int)s.len, s.ptr ? s.ptr : "", want);
}

/* Bit-exact, so the fast paths must round exactly like strtod. */
static void
assert_same_double(double got, double want)
{
	if (memcmp(&got, &want, sizeof(got)) != 0)
		fail_msg("%.17g != %.17g", got, want);
}

static void
assert_tags(const struct tally_slice *tags, size_t n, const char *const *want, size_t n_want)
{
	assert_int_equal(n, n_want);
	for (size_t i = 0; i < n; i++)
		assert_slice(tags[i], want[i]);
}

/* ---- metrics that parse ---- */

struct metric_case {
	const char *in;
	const char *name;
	enum tally_mtype type;
	size_t n_values;
	double values[4];
	const char *set;
	double rate; /* 0 here stands for the default 1.0, which a parsed rate can never be */
	size_t n_tags;
	const char *tags[4];
	bool has_host;
	const char *host;
	int64_t ts;
	const char *container;
};

/* Table helpers: the counts follow from the lists, so a row cannot disagree with itself. */
#define VALUES(...) .n_values = ARRAY_LEN(((double[]){ __VA_ARGS__ })), .values = { __VA_ARGS__ }
#define TAGS(...)   .n_tags = ARRAY_LEN(((const char *[]){ __VA_ARGS__ })), .tags = { __VA_ARGS__ }
#define COUNTER(in_, name_, ...)                                                                   \
	{                                                                                          \
		.in = in_, .name = name_, .type = TALLY_MT_COUNTER, VALUES(1), __VA_ARGS__         \
	}

static const struct metric_case metric_cases[] = {
	COUNTER("app.req.count:1|c", "app.req.count"),
	COUNTER("app.req.count:1|c|#env:bench,svc:blast", "app.req.count",
	        TAGS("env:bench", "svc:blast")),
	{ .in = "g:-3.5|g", .name = "g", .type = TALLY_MT_GAUGE, VALUES(-3.5) },
	/* DogStatsD has no gauge deltas: "+4" sets 4 */
	{ .in = "g:+4|g", .name = "g", .type = TALLY_MT_GAUGE, VALUES(4) },
	{ .in = "t:12.5|ms|@0.5", .name = "t", .type = TALLY_MT_TIMER, VALUES(12.5), .rate = 0.5 },
	{ .in = "h:1:2:3|h|@0.25|#a",
	  .name = "h",
	  .type = TALLY_MT_HISTOGRAM,
	  VALUES(1, 2, 3),
	  .rate = 0.25,
	  TAGS("a") },
	{ .in = "h::1::2:|h", .name = "h", .type = TALLY_MT_HISTOGRAM, VALUES(1, 2) },
	{ .in = "d:1e3|d", .name = "d", .type = TALLY_MT_DISTRIBUTION, VALUES(1000) },
	{ .in = "d:1.5E-3:.5:5.:007|d",
	  .name = "d",
	  .type = TALLY_MT_DISTRIBUTION,
	  VALUES(1.5e-3, 0.5, 5, 7) },
	/* underflow is not an error, as in Go's ParseFloat */
	{ .in = "d:1e-400|d", .name = "d", .type = TALLY_MT_DISTRIBUTION, VALUES(0) },
	{ .in = "s:user-1|s|#x", .name = "s", .type = TALLY_MT_SET, .set = "user-1", TAGS("x") },
	{ .in = "s:a:b::c|s", .name = "s", .type = TALLY_MT_SET, .set = "a:b::c" },
	{ .in = "s:NaN|s", .name = "s", .type = TALLY_MT_SET, .set = "NaN" },
	COUNTER("r:1|c|@0", "r"),
	COUNTER("r:1|c|@-0.5", "r"),
	COUNTER("r:1|c|@1.5", "r"),
	COUNTER("r:1|c|@1", "r"),
	COUNTER("r:1|c|@1e-3", "r", .rate = 1e-3),
	COUNTER("r:1|c|@0.5|@0.1", "r", .rate = 0.1),
	COUNTER("e:1|c|#", "e"),
	COUNTER("e:1|c|#,,x,,y,", "e", TAGS("x", "y")),
	COUNTER("e:1|c|# a , b", "e", TAGS(" a ", " b")),
	COUNTER("e:1|c|#k:v:w,url:http://x", "e", TAGS("k:v:w", "url:http://x")),
	COUNTER("e:1|c|#env:x,host:web-1,role:y", "e", TAGS("env:x", "role:y"), .has_host = true,
	        .host = "web-1"),
	COUNTER("e:1|c|#host:", "e", .has_host = true, .host = ""),
	COUNTER("e:1|c|#host:a,host:b", "e", .has_host = true, .host = "b"),
	COUNTER("e:1|c|#hostname:a,host", "e", TAGS("hostname:a", "host")),
	COUNTER("e:1|c|#host:x|#y", "e", TAGS("y")),
	COUNTER("e:1|c|#a|#b,c", "e", TAGS("b", "c")),
	{ .in = "f:1|g|T1700000000",
	  .name = "f",
	  .type = TALLY_MT_GAUGE,
	  VALUES(1),
	  .ts = 1700000000 },
	{ .in = "f:1|g|T5|T+7", .name = "f", .type = TALLY_MT_GAUGE, VALUES(1), .ts = 7 },
	COUNTER("f:1|c|c:ci-abc,in-42", "f", .container = "ci-abc,in-42"),
	COUNTER("f:1|c|c:a|c:", "f", .container = ""),
	COUNTER("f:1|c|e:it-false|card:low|zzz||c|", "f", .rate = 0),
	COUNTER("all:1|c|c:id|T3|#t|@0.5", "all", .rate = 0.5, TAGS("t"), .ts = 3,
	        .container = "id"),
	/* names are not validated */
	COUNTER("sp ace\t:1|c", "sp ace\t"),
	COUNTER("utf8.\xc3\xa9:1|c", "utf8.\xc3\xa9"),
};

static void
test_metric_forms(void **state)
{
	struct tally_parser *parser = tally_parser_new(1024);

	for (size_t i = 0; i < ARRAY_LEN(metric_cases); i++) {
		const struct metric_case *c = &metric_cases[i];
		const struct tally_sample *s;
		struct tally_parsed_line out;
		enum tally_parse_err err;
		char *buf;

		err = parse_exact(parser, &buf, c->in, strlen(c->in), &out);
		if (err != TALLY_PERR_OK)
			fail_msg("\"%s\": %s", c->in, tally_parse_err_name(err));
		s = &out.u.metric;
		assert_int_equal(out.kind, TALLY_LINE_METRIC);
		assert_slice(s->name, c->name);
		assert_int_equal(s->type, c->type);
		assert_int_equal(s->n_values, c->n_values);
		for (size_t v = 0; v < c->n_values; v++)
			assert_same_double(s->values[v], c->values[v]);
		assert_slice(s->set_value, c->set);
		assert_same_double(s->sample_rate, c->rate ? c->rate : 1.0);
		assert_tags(s->tags, s->n_tags, c->tags, c->n_tags);
		assert_int_equal(s->has_host, c->has_host);
		assert_slice(s->host, c->host);
		assert_int_equal(s->timestamp, c->ts);
		assert_slice(s->container, c->container);
		free(buf);
	}
	tally_parser_free(parser);
}

/* The integer and short-decimal fast paths must give strtod's result, bit for bit. */
static void
test_values_match_strtod(void **state)
{
	static const char *const values[] = {
		"0",
		"-0",
		"1",
		"-1",
		"+1",
		"0.1",
		"0.3",
		"3.14159",
		"-123.456",
		"999999999999999",
		"-99999999999999.9",
		"0.000000000000001",
		"1234567890123456",
		"12345678901234567890",
		"1.7976931348623157e308",
		"4.9e-324",
		"2.2250738585072014e-308",
		"123456.7890123",
		"0.1000000000000000055511151231257827021181583404541015625",
		"00000000000000000001",
		"9007199254740993",
		"1e22",
		"1e23",
		".000001",
		"100.",
	};
	struct tally_parser *parser = tally_parser_new(256);
	struct tally_parsed_line out;
	char line[128], *buf;

	for (size_t i = 0; i < ARRAY_LEN(values); i++) {
		int n = snprintf(line, sizeof(line), "v:%s|g", values[i]);

		assert_int_equal(parse_exact(parser, &buf, line, (size_t)n, &out), TALLY_PERR_OK);
		assert_int_equal(out.u.metric.n_values, 1);
		assert_same_double(out.u.metric.values[0], strtod(values[i], NULL));
		free(buf);
	}
	tally_parser_free(parser);
}

/* ---- lines that are rejected ---- */

struct err_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	enum tally_parse_err err;
};

static const struct err_case err_cases[] = {
	{ "", 0, TALLY_PERR_NO_PIPE },
	{ ":", 0, TALLY_PERR_NO_PIPE },
	{ "a", 0, TALLY_PERR_NO_PIPE },
	{ "a:1", 0, TALLY_PERR_NO_PIPE },
	{ "_sc", 0, TALLY_PERR_NO_PIPE }, /* not "_sc|", so a (bad) metric */
	{ "|", 0, TALLY_PERR_EMPTY_NAME },
	{ "||", 0, TALLY_PERR_EMPTY_NAME },
	{ ":1|c", 0, TALLY_PERR_EMPTY_NAME },
	{ ":|", 0, TALLY_PERR_EMPTY_NAME },
	{ "|c", 0, TALLY_PERR_EMPTY_NAME },
	{ "a|c", 0, TALLY_PERR_NO_VALUE },
	{ "a:|c", 0, TALLY_PERR_NO_VALUE },
	{ "a:|s", 0, TALLY_PERR_NO_VALUE },
	{ "a:1|", 0, TALLY_PERR_BAD_TYPE },
	{ "a:1||c", 0, TALLY_PERR_BAD_TYPE },
	{ "a:1|x", 0, TALLY_PERR_BAD_TYPE },
	{ "a:1|C", 0, TALLY_PERR_BAD_TYPE },
	{ "a:1|G", 0, TALLY_PERR_BAD_TYPE },
	{ "a:1|MS", 0, TALLY_PERR_BAD_TYPE },
	{ "a:1|m", 0, TALLY_PERR_BAD_TYPE },
	{ "a:1|cc", 0, TALLY_PERR_BAD_TYPE },
	{ "a:1|c ", 0, TALLY_PERR_BAD_TYPE },
	{ "a:1|\xe3", 0, TALLY_PERR_BAD_TYPE },
	{ "a:1|c:200|ms", 0, TALLY_PERR_BAD_TYPE }, /* Etsy multi-metric: not DogStatsD */
	{ "a:1|c\r", 0, TALLY_PERR_BAD_TYPE },      /* next_line strips one '\r', not parse_line */
	{ "a:x|c", 0, TALLY_PERR_BAD_VALUE },
	{ "a:NaN|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:nan|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:Inf|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:-inf|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:infinity|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:1e999|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:-1e999|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:0x10|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a: 1|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:1 |g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:1e|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:.|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:-|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:+-1|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:1.2.3|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:1,5|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:1_000|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a:1234567890123456789x|g", 0, TALLY_PERR_BAD_VALUE },
	{ "a::|h", 0, TALLY_PERR_BAD_VALUE }, /* empty packed list */
	{ "a::::|h", 0, TALLY_PERR_BAD_VALUE },
	{ "a:1:x:3|h", 0, TALLY_PERR_BAD_VALUE },
	{ "a:1:2:NaN|h", 0, TALLY_PERR_BAD_VALUE },
	{ "a:1:1e999|d", 0, TALLY_PERR_BAD_VALUE },
	{ "a:1|c|@", 0, TALLY_PERR_BAD_RATE },
	{ "a:1|c|@x", 0, TALLY_PERR_BAD_RATE },
	{ "a:1|c|@nan", 0, TALLY_PERR_BAD_RATE },
	{ "a:1|c|@NaN", 0, TALLY_PERR_BAD_RATE },
	{ "a:1|c|@inf", 0, TALLY_PERR_BAD_RATE },
	{ "a:1|c|@-Inf", 0, TALLY_PERR_BAD_RATE },
	{ "a:1|c|@1e999", 0, TALLY_PERR_BAD_RATE },
	{ "a:1|c|@0.5x", 0, TALLY_PERR_BAD_RATE },
	{ "a:1|c|@0.5|@", 0, TALLY_PERR_BAD_RATE },
	{ "a:1|g|T", 0, TALLY_PERR_BAD_TIMESTAMP },
	{ "a:1|g|T0", 0, TALLY_PERR_BAD_TIMESTAMP },
	{ "a:1|g|T-5", 0, TALLY_PERR_BAD_TIMESTAMP },
	{ "a:1|g|Tabc", 0, TALLY_PERR_BAD_TIMESTAMP },
	{ "a:1|g|T+", 0, TALLY_PERR_BAD_TIMESTAMP },
	{ "a:1|g|T1.5", 0, TALLY_PERR_BAD_TIMESTAMP },
	{ "a:1|g|T99999999999999999999", 0, TALLY_PERR_BAD_TIMESTAMP },
	{ "a:1|g|T9223372036854775808", 0, TALLY_PERR_BAD_TIMESTAMP },
	{ RAW("\0"), TALLY_PERR_NUL_BYTE },
	{ RAW("a\0:1|c"), TALLY_PERR_NUL_BYTE },
	{ RAW("a:1\0|c"), TALLY_PERR_NUL_BYTE },
	{ RAW("a:\0|c"), TALLY_PERR_NUL_BYTE },
	{ RAW("a:1|c\0"), TALLY_PERR_NUL_BYTE },
	{ RAW("a:1|\0c"), TALLY_PERR_NUL_BYTE },
	{ RAW("a:1|c|#x\0y"), TALLY_PERR_NUL_BYTE },
	{ RAW("a:1|c|#x,\0"), TALLY_PERR_NUL_BYTE },
	{ RAW("a:1|c|@0.5|#t|\0"), TALLY_PERR_NUL_BYTE },
	{ RAW("a:1|x|\0"), TALLY_PERR_NUL_BYTE }, /* a NUL beats any other reason */
	{ RAW("a\0"), TALLY_PERR_NUL_BYTE },
	{ RAW("s:a\0b|s"), TALLY_PERR_NUL_BYTE },
	{ RAW("_sc|a|0|m:x\0"), TALLY_PERR_NUL_BYTE },
	{ RAW("_e{1,1}:a|\0"), TALLY_PERR_NUL_BYTE },
	{ RAW("_e{1,1}:a|b|#\0"), TALLY_PERR_NUL_BYTE },
	{ "_sc|", 0, TALLY_PERR_BAD_SERVICE_CHECK },
	{ "_sc||0", 0, TALLY_PERR_BAD_SERVICE_CHECK },
	{ "_sc|name", 0, TALLY_PERR_BAD_SERVICE_CHECK },
	{ "_sc|name|", 0, TALLY_PERR_BAD_SERVICE_CHECK },
	{ "_sc|name|4", 0, TALLY_PERR_BAD_SERVICE_CHECK },
	{ "_sc|name|-1", 0, TALLY_PERR_BAD_SERVICE_CHECK },
	{ "_sc|name|00", 0, TALLY_PERR_BAD_SERVICE_CHECK },
	{ "_sc|name|01", 0, TALLY_PERR_BAD_SERVICE_CHECK },
	{ "_sc|name|x", 0, TALLY_PERR_BAD_SERVICE_CHECK },
	{ "_sc|name| 0", 0, TALLY_PERR_BAD_SERVICE_CHECK },
	{ "_sc|name|OK", 0, TALLY_PERR_BAD_SERVICE_CHECK },
	{ "_e{", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{}", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{}:", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{,}:a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{1}:a|", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{1,}:a|", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{,1}:a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{a,1}:a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{-,1}:a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{1,1,1}:a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{1,1}a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{1,1:a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{1,1}", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{1,1}:", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{0,1}:|b", 0, TALLY_PERR_BAD_EVENT }, /* a title is required */
	{ "_e{0,0}:|", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{-1,1}:a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{1,-1}:a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{5,5}:ab|cd", 0, TALLY_PERR_BAD_EVENT }, /* body shorter than the lengths */
	{ "_e{1,1}:a|", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{2,0}:a", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{1,0}:a", 0, TALLY_PERR_BAD_EVENT }, /* the separator byte is needed too */
	{ "_e{99999999999999999999999,1}:a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{18446744073709551615,18446744073709551615}:a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{9223372036854775807,9223372036854775807}:a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{1,9223372036854775807}:a|b", 0, TALLY_PERR_BAD_EVENT },
	{ "_e{9223372036854775807,1}:a|b", 0, TALLY_PERR_BAD_EVENT },
};

static void
test_malformed_lines(void **state)
{
	struct tally_parser *parser = tally_parser_new(1024);

	for (size_t i = 0; i < ARRAY_LEN(err_cases); i++) {
		const struct err_case *c = &err_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		struct tally_parsed_line out;
		enum tally_parse_err err;
		char *buf;

		err = parse_exact(parser, &buf, c->in, len, &out);
		if (err != c->err)
			fail_msg("case %zu \"%.*s\": got %s, want %s", i, (int)len, c->in,
			         tally_parse_err_name(err), tally_parse_err_name(c->err));
		free(buf);
	}
	tally_parser_free(parser);
}

/* A NUL at any offset is caught, whichever 8-byte word of the scanner it falls into. */
static void
test_nul_at_every_offset(void **state)
{
	static const char *const lines[] = {
		"app.req.count:1|c|#env:bench,svc:blast",
		"a:1:2:3|h|@0.5|T17|c:container-id|#x,y,host:z",
		"_sc|check.name|2|d:17|h:host|#a,b|m:message",
		"_e{5,9}:title|some text|d:17|p:low|#a,b",
	};
	struct tally_parser *parser = tally_parser_new(128);
	struct tally_parsed_line out;

	for (size_t l = 0; l < ARRAY_LEN(lines); l++) {
		size_t len = strlen(lines[l]);

		for (size_t i = 0; i < len; i++) {
			char *buf = dup_exact(lines[l], len);

			buf[i] = '\0';
			if (tally_parse_line(parser, buf, len, &out) != TALLY_PERR_NUL_BYTE)
				fail_msg("\"%s\" with a NUL at %zu", lines[l], i);
			free(buf);
		}
	}
	tally_parser_free(parser);
}

/* Names and tags of every length put the separators at every offset of the scanner's words. */
static void
test_every_alignment(void **state)
{
	struct tally_parser *parser = tally_parser_new(256);
	struct tally_parsed_line out;
	char name[40], tag[40], line[128], *buf;

	for (size_t n = 1; n < 30; n++) {
		memset(name, 'n', n);
		memset(tag, 't', n);
		int len = snprintf(line, sizeof(line), "%.*s:%zu|ms|#%.*s,x,%.*s", (int)n, name, n,
		                   (int)n, tag, (int)n, tag);

		assert_int_equal(parse_exact(parser, &buf, line, (size_t)len, &out), TALLY_PERR_OK);
		assert_int_equal(out.u.metric.name.len, n);
		assert_same_double(out.u.metric.values[0], (double)n);
		assert_int_equal(out.u.metric.type, TALLY_MT_TIMER);
		assert_int_equal(out.u.metric.n_tags, 3);
		assert_int_equal(out.u.metric.tags[0].len, n);
		assert_slice(out.u.metric.tags[1], "x");
		assert_int_equal(out.u.metric.tags[2].len, n);
		free(buf);
	}
	tally_parser_free(parser);
}

static void
test_name_length_limit(void **state)
{
	struct tally_parser *parser = tally_parser_new(1024);
	struct tally_parsed_line out;
	char line[TALLY_NAME_MAX + 16], *buf;

	memset(line, 'n', TALLY_NAME_MAX + 1);
	memcpy(line + TALLY_NAME_MAX, ":1|c", 4);
	assert_int_equal(parse_exact(parser, &buf, line, TALLY_NAME_MAX + 4, &out), TALLY_PERR_OK);
	assert_int_equal(out.u.metric.name.len, TALLY_NAME_MAX);
	free(buf);

	memset(line, 'n', TALLY_NAME_MAX + 1);
	memcpy(line + TALLY_NAME_MAX + 1, ":1|c", 4);
	assert_int_equal(parse_exact(parser, &buf, line, TALLY_NAME_MAX + 5, &out),
	                 TALLY_PERR_NAME_TOO_LONG);
	free(buf);
	tally_parser_free(parser);
}

/* A datagram full of tags fits a parser sized for it: no fixed tag limit. */
static void
test_ten_thousand_tags(void **state)
{
	size_t cap = 200000, len;
	char *line = malloc(cap);
	struct tally_parser *parser = tally_parser_new(cap);
	struct tally_parsed_line out;
	char want[16];

	len = (size_t)snprintf(line, cap, "many.tags:1|c|#");
	for (int i = 0; i < 10000; i++)
		len += (size_t)snprintf(line + len, cap - len, "%st%d", i ? "," : "", i);
	len += (size_t)snprintf(line + len, cap - len, ",host:h");
	assert_int_equal(tally_parse_line(parser, line, len, &out), TALLY_PERR_OK);
	assert_int_equal(out.u.metric.n_tags, 10000);
	for (int i = 0; i < 10000; i++) {
		snprintf(want, sizeof(want), "t%d", i);
		assert_slice(out.u.metric.tags[i], want);
	}
	assert_true(out.u.metric.has_host);
	assert_slice(out.u.metric.host, "h");
	tally_parser_free(parser);
	free(line);
}

/* The densest lines there are, one-byte tags or values, fit the scratch of their size. */
static void
test_scratch_fits_dense_lines(void **state)
{
	const size_t max = 4001;
	struct tally_parser *parser = tally_parser_new(max);
	struct tally_parsed_line out;
	char *line = malloc(max);
	size_t n;

	memcpy(line, "m:1|c|#", 7);
	for (n = 7; n < max; n += 2)
		memcpy(line + n, n + 1 < max ? "x," : "x", n + 1 < max ? 2 : 1);
	assert_int_equal(tally_parse_line(parser, line, max, &out), TALLY_PERR_OK);
	assert_int_equal(out.u.metric.n_tags, (max - 7 + 1) / 2);

	memcpy(line, "m:", 2);
	for (n = 2; n + 3 < max; n += 2)
		memcpy(line + n, "7:", 2);
	memcpy(line + n - 1, "|h", 2);
	assert_int_equal(tally_parse_line(parser, line, n + 1, &out), TALLY_PERR_OK);
	assert_int_equal(out.u.metric.n_values, (n - 2) / 2);
	assert_same_double(out.u.metric.values[out.u.metric.n_values - 1], 7);
	tally_parser_free(parser);
	free(line);
}

static void
test_oversized_line(void **state)
{
	struct tally_parser *parser = tally_parser_new(16);
	struct tally_parsed_line out;
	char *buf;

	assert_int_equal(parse_exact(parser, &buf, "sixteen.bytes:1|c", 16, &out),
	                 TALLY_PERR_BAD_TYPE); /* "sixteen.bytes:1|": fits, no type */
	free(buf);
	assert_int_equal(parse_exact(parser, &buf, "a:1|c|#x,y,z,w,v", 16, &out), TALLY_PERR_OK);
	assert_int_equal(out.u.metric.n_tags, 5);
	free(buf);
	assert_int_equal(parse_exact(parser, &buf, "a:1|c|#x,y,z,w,v,", 17, &out),
	                 TALLY_PERR_TOO_MANY_TAGS);
	free(buf);
	tally_parser_free(parser);
}

static void
test_parser_lifecycle(void **state)
{
	assert_null(tally_parser_new(0));
	assert_null(tally_parser_new(SIZE_MAX));
	tally_parser_free(NULL);
	tally_parser_free(tally_parser_new(1));
}

/* ---- service checks ---- */

struct sc_case {
	const char *in;
	const char *name;
	int status;
	int64_t ts;
	const char *host;
	size_t n_tags;
	const char *tags[4];
	const char *message;
};

#define SC(in_, name_, status_, ...)                                                               \
	{                                                                                          \
		.in = in_, .name = name_, .status = status_, __VA_ARGS__                           \
	}

static const struct sc_case sc_cases[] = {
	SC("_sc|svc.up|0", "svc.up", 0, .ts = 0),
	SC("_sc|svc.up|2|d:1700000000|h:web-1|#env:prod,role:db|m:disk full", "svc.up", 2,
	   .ts = 1700000000, .host = "web-1", TAGS("env:prod", "role:db"), .message = "disk full"),
	SC("_sc|svc|1|#host:tagged,a", "svc", 1, .host = "tagged", TAGS("a")),
	SC("_sc|svc|1|h:explicit|#host:tagged", "svc", 1, .host = "explicit"),
	SC("_sc|svc|1|#host:tagged|h:explicit", "svc", 1, .host = "explicit"),
	SC("_sc|svc|3|d:bad|m:still here", "svc", 3, .message = "still here"),
	/* the last d: wins, and a bad one is ignored */
	SC("_sc|svc|3|d:5|d:", "svc", 3, .ts = 0),
	/* a '|' ends the message */
	SC("_sc|svc|0|m:a|b", "svc", 0, .message = "a"),
	SC("_sc|svc|0|m:", "svc", 0, .message = ""),
	SC("_sc|svc|0|zz:unknown|x||c:ci-1|#", "svc", 0, .n_tags = 0),
	SC("_sc|a:b c|0|#,x,", "a:b c", 0, TAGS("x")),
};

static void
test_service_checks(void **state)
{
	struct tally_parser *parser = tally_parser_new(1024);

	for (size_t i = 0; i < ARRAY_LEN(sc_cases); i++) {
		const struct sc_case *c = &sc_cases[i];
		const struct tally_service_check_line *sc;
		struct tally_parsed_line out;
		enum tally_parse_err err;
		char *buf;

		err = parse_exact(parser, &buf, c->in, strlen(c->in), &out);
		if (err != TALLY_PERR_OK)
			fail_msg("\"%s\": %s", c->in, tally_parse_err_name(err));
		assert_int_equal(out.kind, TALLY_LINE_SERVICE_CHECK);
		sc = &out.u.service_check;
		assert_slice(sc->name, c->name);
		assert_int_equal(sc->status, c->status);
		assert_int_equal(sc->timestamp, c->ts);
		assert_slice(sc->host, c->host);
		assert_tags(sc->tags, sc->n_tags, c->tags, c->n_tags);
		assert_slice(sc->message, c->message);
		free(buf);
	}
	tally_parser_free(parser);
}

/* ---- events ---- */

struct event_case {
	const char *in;
	const char *title, *text;
	int64_t ts;
	const char *host, *key, *priority, *source, *alert;
	size_t n_tags;
	const char *tags[4];
};

#define EV(in_, title_, text_, ...)                                                                \
	{                                                                                          \
		.in = in_, .title = title_, .text = text_, __VA_ARGS__                             \
	}

static const struct event_case event_cases[] = {
	EV("_e{5,4}:title|text", "title", "text", .ts = 0),
	EV("_e{5,0}:title|", "title", "", .ts = 0),
	/* the byte after the text is skipped unchecked, as the agent does */
	EV("_e{5,0}:title|X", "title", "", .ts = 0),
	EV("_e{1,1}:a|bX|h:z", "a", "b", .host = "z"),
	EV("_e{3,3}:a|b|c|d", "a|b", "c|d", .ts = 0),
	EV("_e{+1,+1}:a|b", "a", "b", .ts = 0),
	EV("_e{5,4}:title|text|d:1700000000|h:web-1|k:agg|p:low|s:nagios|t:error|#a,b", "title",
	   "text", .ts = 1700000000, .host = "web-1", .key = "agg", .priority = "low",
	   .source = "nagios", .alert = "error", TAGS("a", "b")),
	EV("_e{1,1}:a|b|p:normal|t:warning", "a", "b", .priority = "normal", .alert = "warning"),
	EV("_e{1,1}:a|b|t:info|t:success", "a", "b", .alert = "success"),
	EV("_e{1,1}:a|b|p:urgent|t:fatal|d:x", "a", "b", .ts = 0),
	EV("_e{1,1}:a|b|p:NORMAL|t:", "a", "b", .ts = 0),
	EV("_e{1,1}:a|b|#host:h1,x", "a", "b", .host = "h1", TAGS("x")),
	EV("_e{1,1}:a|b|#host:h1|h:h2", "a", "b", .host = "h2"),
	EV("_e{1,1}:a|b|zz|k|c:ci|", "a", "b", .ts = 0),
	EV("_e{6,9}:a\\nb\\n|line\\none", "a\nb\n", "line\none", .ts = 0),
	EV("_e{3,4}:\\\\n|\\n\\n", "\\\n", "\n\n", .ts = 0),
	/* an escape cut in half by the length is left alone */
	EV("_e{2,1}:\\n|\\|x", "\n", "\\", .ts = 0),
	EV("_e{1,2}:\\|\\n|k:v", "\\", "\n", .key = "v"),
	/* lengths count bytes, not characters */
	EV("_e{4,5}:t\xc3\xa9t|\xe2\x82\xac:)", "t\xc3\xa9t", "\xe2\x82\xac:)", .ts = 0),
};

static void
test_events(void **state)
{
	struct tally_parser *parser = tally_parser_new(1024);

	for (size_t i = 0; i < ARRAY_LEN(event_cases); i++) {
		const struct event_case *c = &event_cases[i];
		const struct tally_event_line *ev;
		struct tally_parsed_line out;
		enum tally_parse_err err;
		char *buf;

		err = parse_exact(parser, &buf, c->in, strlen(c->in), &out);
		if (err != TALLY_PERR_OK)
			fail_msg("\"%s\": %s", c->in, tally_parse_err_name(err));
		assert_int_equal(out.kind, TALLY_LINE_EVENT);
		ev = &out.u.event;
		assert_slice(ev->title, c->title);
		assert_slice(ev->text, c->text);
		assert_int_equal(ev->timestamp, c->ts);
		assert_slice(ev->host, c->host);
		assert_slice(ev->aggregation_key, c->key);
		assert_slice(ev->priority, c->priority);
		assert_slice(ev->source_type_name, c->source);
		assert_slice(ev->alert_type, c->alert);
		assert_tags(ev->tags, ev->n_tags, c->tags, c->n_tags);
		free(buf);
	}
	tally_parser_free(parser);
}

/* Unescaping happens in the caller's buffer and touches only the title and the text. */
static void
test_event_unescapes_in_place(void **state)
{
	static const char in[] = "_e{4,4}:a\\nb|c\\nd|#x\\ny";
	struct tally_parser *parser = tally_parser_new(64);
	struct tally_parsed_line out;
	char *buf;

	assert_int_equal(parse_exact(parser, &buf, in, sizeof(in) - 1, &out), TALLY_PERR_OK);
	assert_ptr_equal(out.u.event.title.ptr, buf + 8);
	assert_slice(out.u.event.title, "a\nb");
	assert_slice(out.u.event.text, "c\nd");
	assert_slice(out.u.event.tags[0], "x\\ny");
	tally_parser_free(parser);
	free(buf);
}

/* ---- datagrams ---- */

static void
test_next_line_framing(void **state)
{
	static const char in[] = "\na:1|c\r\n\r\n\n\rb:2|c\r\r\nc:3|c";
	static const char *const want[] = { "a:1|c", "\rb:2|c\r", "c:3|c" };
	char *buf = dup_exact(in, sizeof(in) - 1), *cursor = buf;
	struct tally_slice line;
	size_t n = 0;

	while (tally_parse_next_line(&cursor, buf + sizeof(in) - 1, &line)) {
		assert_true(n < ARRAY_LEN(want));
		assert_slice(line, want[n++]);
	}
	assert_int_equal(n, ARRAY_LEN(want));
	assert_ptr_equal(cursor, buf + sizeof(in) - 1);
	assert_int_equal(tally_parse_next_line(&cursor, buf + sizeof(in) - 1, &line), 0);
	free(buf);

	buf = dup_exact("\r\n\n\r", 4);
	cursor = buf;
	assert_int_equal(tally_parse_next_line(&cursor, buf + 4, &line), 0);
	cursor = buf;
	assert_int_equal(tally_parse_next_line(&cursor, buf, &line), 0);
	free(buf);
}

/* One bad line is dropped alone; the lines around it parse as if it were not there. */
static void
test_datagram_with_bad_line(void **state)
{
	static const char in[] = "a:1|c|#x\r\n"
	                         "bad\n"
	                         "\n"
	                         "b:2:3|h|#y,z\n"
	                         "_sc|chk|9\n"
	                         "_sc|chk|1|m:ok\n"
	                         "c:1e999|g\n"
	                         "_e{1,1}:t|x\n"
	                         "d:4|g"; /* unterminated */
	static const enum tally_parse_err want[] = {
		TALLY_PERR_OK, TALLY_PERR_NO_PIPE,   TALLY_PERR_OK, TALLY_PERR_BAD_SERVICE_CHECK,
		TALLY_PERR_OK, TALLY_PERR_BAD_VALUE, TALLY_PERR_OK, TALLY_PERR_OK,
	};
	struct tally_parser *parser = tally_parser_new(sizeof(in));
	char *buf = dup_exact(in, sizeof(in) - 1), *cursor = buf;
	struct tally_parsed_line out[ARRAY_LEN(want)];
	struct tally_slice line;
	size_t n = 0;

	while (tally_parse_next_line(&cursor, buf + sizeof(in) - 1, &line)) {
		assert_true(n < ARRAY_LEN(want));
		assert_int_equal(tally_parse_line(parser, (char *)line.ptr, line.len, &out[n]),
		                 want[n]);
		n++;
		if (n == 1) {
			assert_slice(out[0].u.metric.name, "a");
			assert_tags(out[0].u.metric.tags, out[0].u.metric.n_tags,
			            (const char *const[]){ "x" }, 1);
		}
		if (n == 3) {
			assert_int_equal(out[2].u.metric.n_values, 2);
			assert_same_double(out[2].u.metric.values[1], 3);
			assert_int_equal(out[2].u.metric.n_tags, 2);
		}
	}
	assert_int_equal(n, ARRAY_LEN(want));
	assert_int_equal(out[4].kind, TALLY_LINE_SERVICE_CHECK);
	assert_slice(out[4].u.service_check.message, "ok");
	assert_int_equal(out[6].kind, TALLY_LINE_EVENT);
	assert_slice(out[6].u.event.text, "x");
	assert_slice(out[7].u.metric.name, "d");
	assert_same_double(out[7].u.metric.values[0], 4);
	tally_parser_free(parser);
	free(buf);
}

static void
test_err_names(void **state)
{
	static const char *const want[TALLY_PERR__COUNT] = {
		"ok",        "no_pipe",           "empty_name", "name_too_long", "no_value",
		"bad_value", "bad_type",          "bad_rate",   "bad_timestamp", "too_many_tags",
		"nul_byte",  "bad_service_check", "bad_event",
	};

	assert_int_equal(TALLY_PERR__COUNT, 13);
	for (int i = 0; i < TALLY_PERR__COUNT; i++)
		assert_string_equal(tally_parse_err_name((enum tally_parse_err)i), want[i]);
	assert_string_equal(tally_parse_err_name(TALLY_PERR__COUNT), "unknown");
	assert_string_equal(tally_parse_err_name((enum tally_parse_err) - 1), "unknown");
}

/* The byte scanner against a byte-by-byte reference: every length, start, bound and hit. */
static void
test_scan_matches_reference(void **state)
{
	static const char alphabet[] = "ab:|,#\0x";
	char buf[96];
	uint64_t rng = 42;

	for (int round = 0; round < 4000; round++) {
		size_t len = (size_t)(round % 90);

		for (size_t i = 0; i < len; i++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			/* Mostly filler, so hits come at every distance. */
			buf[i] = (rng >> 60) < 13 ? 'x' : alphabet[(rng >> 33) % 8];
		}
		for (size_t lo = 0; lo <= len && lo < 20; lo += 3) {
			/* A block of exactly [lo, len), so that ASan sees any read outside it. */
			size_t n = len - lo;
			char *line = malloc(n ? n : 1);

			assert_non_null(line);
			memcpy(line, buf + lo, n);
			for (size_t p = 0; p <= n; p++) {
				const char *want = line + n, *got;

				for (size_t i = p; i < n; i++) {
					if (line[i] == ':' || line[i] == '|' || line[i] == '\0') {
						want = line + i;
						break;
					}
				}
				got = tally_parse_scan(line, line + p, line + n, ':', '|');
				if (got != want)
					fail_msg("len %zu lo %zu p %zu: got %td, want %td", len, lo,
					         p, got - line, want - line);
			}
			free(line);
		}
	}
}

/* Line framing against a reference, over datagrams of every length up to 120 bytes. */
static void
test_next_line_matches_reference(void **state)
{
	static const char alphabet[] = "\n\r\0ab";
	uint64_t rng = 7;

	for (int round = 0; round < 3000; round++) {
		size_t len = (size_t)(round % 121), at = 0;
		char *buf = malloc(len ? len : 1), *cursor;
		struct tally_slice line;

		assert_non_null(buf);
		for (size_t i = 0; i < len; i++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			/* Newlines rare enough that lines of 16 bytes and more are common. */
			buf[i] = (rng >> 59) < 28 ? 'x' : alphabet[(rng >> 33) % 5];
		}
		cursor = buf;
		while (tally_parse_next_line(&cursor, buf + len, &line)) {
			size_t start, stop;

			/* The reference: the next non-empty line once a trailing '\r' is cut. */
			for (;;) {
				assert_true(at < len);
				start = at;
				while (at < len && buf[at] != '\n')
					at++;
				stop = at;
				if (at < len)
					at++;
				if (stop > start && buf[stop - 1] == '\r')
					stop--;
				if (stop > start)
					break;
			}
			assert_ptr_equal(line.ptr, buf + start);
			assert_int_equal(line.len, stop - start);
			assert_ptr_equal(cursor, buf + at);
		}
		/* Nothing but empty lines was left. */
		for (; at < len; at++)
			assert_true(buf[at] == '\n' || buf[at] == '\r');
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metric_forms),
		cmocka_unit_test(test_values_match_strtod),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_nul_at_every_offset),
		cmocka_unit_test(test_every_alignment),
		cmocka_unit_test(test_name_length_limit),
		cmocka_unit_test(test_ten_thousand_tags),
		cmocka_unit_test(test_scratch_fits_dense_lines),
		cmocka_unit_test(test_oversized_line),
		cmocka_unit_test(test_parser_lifecycle),
		cmocka_unit_test(test_service_checks),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_event_unescapes_in_place),
		cmocka_unit_test(test_next_line_framing),
		cmocka_unit_test(test_datagram_with_bad_line),
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_scan_matches_reference),
		cmocka_unit_test(test_next_line_matches_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
