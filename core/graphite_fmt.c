#include "graphite_fmt.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "outfmt.h"

/* Room for " value timestamp\n" beyond the name and tags. */
#define TAIL_MAX (1 + TALLY_FMT_DOUBLE_MAX + 1 + 24 + 1)
/* ";" + "=" + the longest a key or value can grow: "_" for an empty key, "true" for a value. */
#define TAG_GROWTH (2 + 1 + 4)

static bool
forbidden(unsigned char c)
{
	return c <= ' ' || c == 0x7f || c == ';' || c == '~' || c == '!' || c == '^' || c == '=';
}

/* Copies len bytes of s to p with forbidden bytes replaced; returns the end. */
static char *
put_clean(char *p, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = forbidden((unsigned char)s[i]) ? '_' : s[i];
	return p + len;
}

size_t
tally_graphite_line_max(const struct tally_series *s)
{
	size_t n = strlen(s->name) + 1 + TAIL_MAX;

	if (s->host[0])
		n += strlen(";host=") + strlen(s->host);
	for (size_t i = 0; i < s->n_tags; i++)
		n += strlen(s->tags[i]) + TAG_GROWTH;
	return n;
}

/* Whether the tag section [tags, end) already holds a ";key=" equal to [key, key + len). */
static bool
has_key(const char *tags, const char *end, const char *key, size_t len)
{
	const char *p = tags;

	while (p < end) {
		const char *k = p + 1; /* past ';' */
		const char *eq = memchr(k, '=', (size_t)(end - k));
		const char *next = memchr(k, ';', (size_t)(end - k));

		if (eq && (size_t)(eq - k) == len && memcmp(k, key, len) == 0)
			return true;
		p = next ? next : end;
	}
	return false;
}

/* Appends ";key=value" at p unless the key is already in [tags, p); returns the end. */
static char *
put_tag(char *tags, char *p, const char *key, size_t key_len, const char *val, size_t val_len)
{
	char *k = p + 1;

	*p = ';';
	put_clean(k, key, key_len);
	if (has_key(tags, p, k, key_len))
		return p;
	p = k + key_len;
	*p++ = '=';
	return put_clean(p, val, val_len);
}

size_t
tally_graphite_format(const struct tally_series *s, char *buf)
{
	char num[TALLY_FMT_DOUBLE_MAX];
	char *p = buf, *tags;
	struct tally_tag_kv kv;

	if (!isfinite(s->value))
		return 0;
	if (s->name[0])
		p = put_clean(p, s->name, strlen(s->name));
	else
		*p++ = '_';
	tags = p;
	if (s->host[0])
		p = put_tag(tags, p, "host", 4, s->host, strlen(s->host));
	for (size_t i = 0; i < s->n_tags; i++) {
		tally_tag_split(s->tags[i], &kv);
		p = put_tag(tags, p, kv.key, kv.key_len, kv.val, kv.val_len);
	}
	tally_fmt_double(s->value, num);
	p += sprintf(p, " %s %" PRId64 "\n", num, s->timestamp);
	return (size_t)(p - buf);
}
