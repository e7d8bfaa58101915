#include "jtext.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"
#include "xmem.h"

static char *
room(struct tally_jtext *j, size_t n)
{
	j->buf = tally_xgrow(j->buf, &j->cap, j->len + n, 1, 4096);
	return j->buf + j->len;
}

void
tally_jtext_raw(struct tally_jtext *j, const char *s, size_t n)
{
	memcpy(room(j, n), s, n);
	j->len += n;
}

/* The escape of an ASCII byte, or NULL when it stands for itself. */
static const char *
escape_of(unsigned char c, char *u)
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		break;
	}
	if (c >= 0x20)
		return NULL;
	memcpy(u, "\\u00", 4);
	u[4] = hex[c >> 4];
	u[5] = hex[c & 0xf];
	u[6] = '\0';
	return u;
}

void
tally_jtext_str(struct tally_jtext *j, const char *s)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)u), run = 0, n;
	char esc[8];
	const char *e;

	tally_jtext_lit(j, "\"");
	/* Runs of plain bytes are copied at once; only escapes and bad bytes break them. */
	for (size_t i = 0; i < len; i += n ? n : 1) {
		n = tally_utf8_len(u + i, len - i);
		e = n == 1 ? escape_of(u[i], esc) : NULL;
		if (n && !e) {
			run += n;
			continue;
		}
		tally_jtext_raw(j, (const char *)u + i - run, run);
		run = 0;
		if (e)
			tally_jtext_raw(j, e, strlen(e));
		else
			tally_jtext_lit(j, "\xef\xbf\xbd");
	}
	tally_jtext_raw(j, (const char *)u + len - run, run);
	tally_jtext_lit(j, "\"");
}

void
tally_jtext_i64(struct tally_jtext *j, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);

	tally_jtext_raw(j, num, (size_t)n);
}

void
tally_jtext_strs(struct tally_jtext *j, const char *const *s, size_t n)
{
	tally_jtext_lit(j, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			tally_jtext_lit(j, ",");
		tally_jtext_str(j, s[i]);
	}
	tally_jtext_lit(j, "]");
}
