#include "parse_out.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A number as the formats write it: decimal only, no inf/nan/hex, finite. */
static bool
number(const char *s, size_t len, double *out, size_t *used)
{
	char buf[64], *end;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!(buf[0] == '-' || buf[0] == '+' || buf[0] == '.' || (buf[0] >= '0' && buf[0] <= '9')))
		return false;
	if (strpbrk(buf, "xXnNiI"))
		return false;
	errno = 0;
	*out = strtod(buf, &end);
	if (end == buf || errno == ERANGE || !isfinite(*out))
		return false;
	*used = (size_t)(end - buf);
	return true;
}

int
exec_mackerel_line(const char *line, size_t len, struct exec_mackerel_line *out)
{
	const char *t1 = memchr(line, '\t', len), *t2, *end = line + len;
	size_t used, n;
	double epoch;

	while (end > line && end[-1] == '\r')
		end--;
	if (!t1 || t1 == line || (size_t)(t1 - line) > EXEC_LABEL_MAX)
		return -EINVAL;
	t2 = memchr(t1 + 1, '\t', (size_t)(end - t1 - 1));
	if (!t2 || memchr(t2 + 1, '\t', (size_t)(end - t2 - 1)))
		return -EINVAL;
	n = (size_t)(t1 - line);
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)line[i] <= ' ' || line[i] == 0x7f)
			return -EINVAL;
	}
	if (!number(t1 + 1, (size_t)(t2 - t1 - 1), &out->value, &used) ||
	    used != (size_t)(t2 - t1 - 1))
		return -EINVAL;
	if (!number(t2 + 1, (size_t)(end - t2 - 1), &epoch, &used) ||
	    used != (size_t)(end - t2 - 1) || epoch < 1 || epoch > 1e13 || epoch != floor(epoch))
		return -EINVAL;
	memcpy(out->name, line, n);
	out->name[n] = '\0';
	out->epoch = (int64_t)epoch;
	return 0;
}

bool
exec_perf_unit(const char *u, size_t len, double *mult, enum exec_perf_kind *kind)
{
	static const struct {
		const char *uom;
		double mult;
	} units[] = {
		{ "", 1 },
		{ "%", 1 },
		{ "s", 1 },
		{ "ms", 1e-3 },
		{ "us", 1e-6 },
		{ "B", 1 },
		{ "KB", 1024.0 },
		{ "MB", 1024.0 * 1024 },
		{ "GB", 1024.0 * 1024 * 1024 },
		{ "TB", 1024.0 * 1024 * 1024 * 1024 },
		{ "KiB", 1024.0 },
		{ "MiB", 1024.0 * 1024 },
		{ "GiB", 1024.0 * 1024 * 1024 },
		{ "TiB", 1024.0 * 1024 * 1024 * 1024 },
	};

	*kind = EXEC_PERF_GAUGE;
	*mult = 1;
	if (len == 1 && u[0] == 'c') {
		*kind = EXEC_PERF_COUNTER;
		return true;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		const char *x = units[i].uom;
		bool bytes = strchr(x, 'B') != NULL;

		if (strlen(x) != len)
			continue;
		if (bytes ? strncasecmp(x, u, len) == 0 : strncmp(x, u, len) == 0) {
			*mult = units[i].mult;
			return true;
		}
	}
	return false;
}

/* Reads a label at *p (quoted or not) into item; false when malformed. Advances *p. */
static bool
perf_label(const char **p, const char *end, struct exec_perf_item *item)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '\'') {
		for (s++;; s++) {
			if (s >= end)
				return (*p = end), false;
			if (*s == '\'') {
				if (s + 1 < end && s[1] == '\'')
					s++;
				else
					break;
			}
			if (n == EXEC_LABEL_MAX)
				return (*p = s), false;
			item->label[n++] = *s;
		}
		s++; /* the closing quote */
	} else {
		for (; s < end && *s != '=' && !blank(*s); s++) {
			if (n == EXEC_LABEL_MAX)
				return (*p = s), false;
			item->label[n++] = *s;
		}
	}
	item->label[n] = '\0';
	*p = s;
	return n > 0;
}

size_t
exec_perfdata(const char *text, size_t len, exec_perf_fn fn, void *arg)
{
	const char *p = text, *end = text + len;
	size_t bad = 0;

	for (;;) {
		struct exec_perf_item item;
		const char *tok, *semi;
		size_t used;
		double mult;

		while (p < end && blank(*p))
			p++;
		if (p >= end)
			break;
		if (!perf_label(&p, end, &item) || p >= end || *p != '=') {
			bad++;
			while (p < end && !blank(*p))
				p++;
			continue;
		}
		tok = ++p;
		while (p < end && !blank(*p))
			p++;
		semi = memchr(tok, ';', (size_t)(p - tok));
		if (!semi)
			semi = p;
		if (semi - tok == 1 && tok[0] == 'U')
			continue; /* the plugin could not measure it: not a malformed item */
		if (!number(tok, (size_t)(semi - tok), &item.value, &used) ||
		    !exec_perf_unit(tok + used, (size_t)(semi - tok) - used, &mult, &item.kind)) {
			bad++;
			continue;
		}
		item.value *= mult;
		fn(arg, &item);
	}
	return bad;
}

/* Appends [s, e) trimmed to msg (a line of its own unless first), within max bytes. */
static void
msg_add(char *msg, size_t *n, size_t max, const char *s, const char *e)
{
	while (s < e && blank(*s))
		s++;
	while (e > s && blank(e[-1]))
		e--;
	if (*n && *n < max)
		msg[(*n)++] = '\n';
	for (; s < e && *n < max; s++)
		msg[(*n)++] = *s == '\0' ? ' ' : *s;
	msg[*n] = '\0';
}

size_t
exec_nagios(const char *out, size_t len, char *msg, size_t max_message, exec_perf_fn fn, void *arg)
{
	const char *p = out, *end = out + len;
	bool in_perf = false;
	size_t bad = 0, n = 0;

	msg[0] = '\0';
	for (size_t line = 0; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		const char *bar = in_perf ? p : memchr(p, '|', (size_t)(e - p));

		if (!in_perf) {
			const char *text_end = bar ? bar : e;

			/* The first line always counts, even empty; empty long lines do not. */
			if (line == 0 || text_end > p)
				msg_add(msg, &n, max_message, p, text_end);
		}
		if (bar) {
			bad += exec_perfdata(bar + (in_perf ? 0 : 1),
			                     (size_t)(e - bar - (in_perf ? 0 : 1)), fn, arg);
			if (line > 0)
				in_perf = true;
		}
		p = nl ? nl + 1 : end;
	}
	return bad;
}
