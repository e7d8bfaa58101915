#include "jtext.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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

/* Length of the valid UTF-8 sequence at s, or 0 when the bytes there are not one. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return n;
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
	size_t run = 0, n;
	char esc[8];
	const char *e;

	tally_jtext_lit(j, "\"");
	/* Runs of plain bytes are copied at once; only escapes and bad bytes break them. */
	for (size_t i = 0; u[i]; i += n ? n : 1) {
		n = utf8_len(u + i);
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
	tally_jtext_raw(j, (const char *)u + strlen((const char *)u) - run, run);
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
