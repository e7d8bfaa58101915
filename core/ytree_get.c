/*
 * ytree_get.c: the typed accessors of ytree.h and the "FILE:LINE:COL: what: expected ..., got
 * ..." messages they (and the loader in ytree.c) write.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmem.h"
#include "ytree.h"
#include "ytree_internal.h"

void
tally_ytree_verror(char *err, size_t err_len, const char *file, int line, int col, const char *fmt,
                   va_list ap)
{
	int n;

	if (!err || !err_len)
		return;
	if (line > 0)
		n = snprintf(err, err_len, "%s:%d:%d: ", file, line, col);
	else
		n = snprintf(err, err_len, "%s: ", file);
	if (n < 0 || (size_t)n >= err_len)
		return;
	vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
}

int
tally_ynode_error(const struct tally_ynode *at, char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tally_ytree_verror(err, err_len, at->file, at->line, at->col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *
tally_ynode_kind_name(enum tally_ynode_kind kind)
{
	static const char *const names[] = { "null", "scalar", "sequence", "map" };

	return (unsigned)kind < 4 ? names[kind] : "?";
}

void
tally_ynode_describe(const struct tally_ynode *n, char *buf, size_t size)
{
	size_t o = 0, i = 0;

	if (size < 16) {
		snprintf(buf, size, "%s", "");
		return;
	}
	if (n->kind != TALLY_YNODE_SCALAR) {
		snprintf(buf, size, "%s",
		         n->kind == TALLY_YNODE_MAP   ? "a map"
		         : n->kind == TALLY_YNODE_SEQ ? "a sequence"
		                                      : "null");
		return;
	}
	buf[o++] = '"';
	for (; i < n->len && o + 8 < size; i++) {
		unsigned char c = (unsigned char)n->text[i];

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (i < n->len) {
		while (o > 1 && ((unsigned char)buf[o - 1] & 0xc0) == 0x80)
			o--; /* do not cut a UTF-8 sequence in half */
		if (o > 1 && (unsigned char)buf[o - 1] >= 0xc0)
			o--;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/* "what: expected <fmt>, got <value>"; returns rc. */
__attribute__((format(printf, 6, 7))) static int
expected(const struct tally_ynode *n, const char *what, char *err, size_t err_len, int rc,
         const char *fmt, ...)
{
	char want[160], got[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	tally_ynode_describe(n, got, sizeof(got));
	tally_ynode_error(n, err, err_len, "%s%sexpected %s, got %s", what ? what : "",
	                  what ? ": " : "", want, got);
	return rc;
}

/* The text of a scalar that can stand as a C string, or NULL. */
static const char *
scalar_text(const struct tally_ynode *n)
{
	if (n->kind != TALLY_YNODE_SCALAR || strlen(n->text) != n->len)
		return NULL;
	return n->text;
}

int
tally_ynode_str(const struct tally_ynode *n, const char *what, const char **out, char *err,
                size_t err_len)
{
	const char *s = scalar_text(n);

	if (!s)
		return expected(n, what, err, err_len, -EINVAL, "a string");
	*out = s;
	return 0;
}

int
tally_ynode_bool(const struct tally_ynode *n, const char *what, bool *out, char *err,
                 size_t err_len)
{
	static const char *const words[] = { "false", "no", "off", "0", "true", "yes", "on", "1" };
	const char *s = scalar_text(n);

	for (size_t i = 0; s && i < sizeof(words) / sizeof(words[0]); i++) {
		if (!strcasecmp(s, words[i])) {
			*out = i >= 4;
			return 0;
		}
	}
	return expected(n, what, err, err_len, -EINVAL, "true or false");
}

static int
parse_int64(const char *s, int64_t *out)
{
	long long v;
	char *end;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

static void
int_range(char *buf, size_t size, int64_t min, int64_t max)
{
	if (min == INT64_MIN && max == INT64_MAX)
		buf[0] = '\0';
	else if (max == INT64_MAX)
		snprintf(buf, size, " >= %lld", (long long)min);
	else if (min == INT64_MIN)
		snprintf(buf, size, " <= %lld", (long long)max);
	else
		snprintf(buf, size, " %lld..%lld", (long long)min, (long long)max);
}

int
tally_ynode_int64(const struct tally_ynode *n, const char *what, int64_t min, int64_t max,
                  int64_t *out, char *err, size_t err_len)
{
	int64_t v = 0;
	char range[64];
	int rc = parse_int64(scalar_text(n), &v);

	if (!rc && (v < min || v > max))
		rc = -ERANGE;
	if (!rc) {
		*out = v;
		return 0;
	}
	int_range(range, sizeof(range), min, max);
	return expected(n, what, err, err_len, rc, "integer%s", range);
}

int
tally_ynode_double(const struct tally_ynode *n, const char *what, double min, double max,
                   double *out, char *err, size_t err_len)
{
	const char *s = scalar_text(n);
	char *end = NULL;
	double v = 0;
	int rc = -EINVAL;

	if (s && *s && !isspace((unsigned char)*s)) {
		v = strtod(s, &end);
		if (!*end && isfinite(v))
			rc = v < min || v > max ? -ERANGE : 0;
	}
	if (!rc) {
		*out = v;
		return 0;
	}
	return expected(n, what, err, err_len, rc, "number %g..%g", min, max);
}

static int
parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {
		{ "", 1 },
		{ "b", 1 },
		{ "k", 1ull << 10 },
		{ "kib", 1ull << 10 },
		{ "kb", 1000ull },
		{ "m", 1ull << 20 },
		{ "mib", 1ull << 20 },
		{ "mb", 1000000ull },
		{ "g", 1ull << 30 },
		{ "gib", 1ull << 30 },
		{ "gb", 1000000000ull },
		{ "t", 1ull << 40 },
		{ "tib", 1ull << 40 },
		{ "tb", 1000000000000ull },
	};
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].unit))
			continue;
		if (v > UINT64_MAX / units[i].mult)
			return -ERANGE;
		*out = v * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

int
tally_ynode_size(const struct tally_ynode *n, const char *what, uint64_t min, uint64_t max,
                 uint64_t *out, char *err, size_t err_len)
{
	uint64_t v = 0;
	int rc = parse_size(scalar_text(n), &v);

	if (!rc && (v < min || v > max))
		rc = -ERANGE;
	if (!rc) {
		*out = v;
		return 0;
	}
	if (max == UINT64_MAX && min == 0)
		return expected(n, what, err, err_len, rc, "size in bytes (e.g. 8MiB)");
	if (max == UINT64_MAX)
		return expected(n, what, err, err_len, rc, "size >= %llu bytes",
		                (unsigned long long)min);
	return expected(n, what, err, err_len, rc, "size %llu..%llu bytes", (unsigned long long)min,
	                (unsigned long long)max);
}

void
tally_ystrlist_free(char **list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i]);
	free(list);
}

static int
seq_strlist(const struct tally_ynode *n, const char *what, char **v, char *err, size_t err_len)
{
	char item[128];

	for (size_t i = 0; i < n->n; i++) {
		const char *s = scalar_text(n->items[i]);

		if (!s) {
			snprintf(item, sizeof(item), "%s[%zu]", what ? what : "", i);
			return expected(n->items[i], item, err, err_len, -EINVAL, "a string");
		}
		v[i] = tally_xstrdup(s);
	}
	return 0;
}

int
tally_ynode_strlist(const struct tally_ynode *n, const char *what, const char *seps, char ***out,
                    size_t *n_out, char *err, size_t err_len)
{
	struct tally_ydoc *split;
	const char *s;
	char **v;
	int rc;

	if (n->kind == TALLY_YNODE_NULL) {
		*out = tally_xcalloc(1, sizeof(char *));
		*n_out = 0;
		return 0;
	}
	if (n->kind == TALLY_YNODE_SEQ) {
		v = tally_xcalloc(n->n + 1, sizeof(*v));
		rc = seq_strlist(n, what, v, err, err_len);
		if (rc) {
			tally_ystrlist_free(v, n->n);
			return rc;
		}
		*out = v;
		*n_out = n->n;
		return 0;
	}
	s = scalar_text(n);
	if (!s)
		return expected(n, what, err, err_len, -EINVAL, "a list of strings");
	split = tally_ydoc_from_text(n->file, s, seps ? seps : "");
	rc = tally_ynode_strlist(split->root, what, NULL, out, n_out, err, err_len);
	tally_ydoc_free(split);
	return rc;
}
