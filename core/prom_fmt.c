#include "prom_fmt.h"

#include <string.h>

#include "batch.h"
#include "outfmt.h"
#include "utf8.h"

static const char TOTAL_SUFFIX[] = "_total";

static bool
is_alpha_(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Copies s with every byte outside [a-zA-Z0-9_] (and ':' when colon) made '_'. */
static char *
put_ident(char *p, const char *s, size_t len, bool colon)
{
	if (len == 0 || is_digit((unsigned char)s[0]))
		*p++ = '_';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		*p++ = is_alpha_(c) || is_digit(c) || (colon && c == ':') ? (char)c : '_';
	}
	return p;
}

size_t
tally_prom_name_max(const char *name)
{
	return strlen(name) + 1 + sizeof(TOTAL_SUFFIX);
}

size_t
tally_prom_name(const char *name, bool counter, char *buf)
{
	size_t sl = sizeof(TOTAL_SUFFIX) - 1;
	char *p = put_ident(buf, name, strlen(name), true);
	size_t len = (size_t)(p - buf);

	if (counter && (len < sl || memcmp(p - sl, TOTAL_SUFFIX, sl) != 0)) {
		memcpy(p, TOTAL_SUFFIX, sl);
		p += sl;
	}
	*p = '\0';
	return (size_t)(p - buf);
}

size_t
tally_prom_labels_max(const struct tally_series *s)
{
	/*
	 * Per label: ',' or '{', a '_' prefix, '=', two quotes, "true" or "_" for what is missing,
	 * and values at most 3x (an invalid UTF-8 byte becomes U+FFFD).
	 */
	size_t n = 2 + 3 * strlen(s->host) + strlen("host") + 5;

	for (size_t i = 0; i < s->n_tags; i++)
		n += 3 * strlen(s->tags[i]) + 10;
	return n + 1;
}

/* Writes v quoted and escaped; invalid UTF-8 bytes become U+FFFD. */
static char *
put_value(char *p, const char *v, size_t len)
{
	const unsigned char *u = (const unsigned char *)v;

	*p++ = '"';
	for (size_t i = 0; i < len;) {
		size_t n = tally_utf8_len(u + i, len - i);

		if (n == 0) {
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
			i++;
			continue;
		}
		if (u[i] == '\\' || u[i] == '"' || u[i] == '\n')
			*p++ = '\\';
		if (u[i] == '\n') {
			*p++ = 'n';
		} else {
			memcpy(p, u + i, n);
			p += n;
		}
		i += n;
	}
	*p++ = '"';
	return p;
}

/* Whether the name at p (ending at end) equals one at buf + scratch[0..n). */
static bool
seen_name(const char *buf, const size_t *scratch, size_t n, const char *p, const char *end)
{
	size_t len = (size_t)(end - p);

	for (size_t i = 0; i < n; i++) {
		const char *q = buf + scratch[i];

		if (strncmp(q, p, len) == 0 && q[len] == '=')
			return true;
	}
	return false;
}

/* Appends one label after ',' or '{' unless its name is taken; returns the end. */
static char *
put_label(char *buf, char *p, size_t *scratch, size_t *n, const struct tally_tag_kv *kv)
{
	char *name = p + 1, *end;

	*p = *n ? ',' : '{';
	end = put_ident(name, kv->key, kv->key_len, false);
	if (seen_name(buf, scratch, *n, name, end))
		return p;
	scratch[(*n)++] = (size_t)(name - buf);
	*end++ = '=';
	return put_value(end, kv->val, kv->val_len);
}

size_t
tally_prom_labels(const struct tally_series *s, char *buf, size_t *scratch)
{
	char *p = buf;
	size_t n = 0;
	struct tally_tag_kv kv;

	if (s->host[0]) {
		kv = (struct tally_tag_kv){ "host", 4, s->host, strlen(s->host) };
		p = put_label(buf, p, scratch, &n, &kv);
	}
	for (size_t i = 0; i < s->n_tags; i++) {
		tally_tag_split(s->tags[i], &kv);
		p = put_label(buf, p, scratch, &n, &kv);
	}
	if (n)
		*p++ = '}';
	*p = '\0';
	return (size_t)(p - buf);
}
