#include "influx_line.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "fwd_queue.h"
#include "xmem.h"

/* One tag as key and value slices of the series' strings. */
struct kv {
	const char *k, *v;
	size_t kl, vl;
	size_t order; /* tie-break: 0 for host, then the tag's index + 1 */
};

static void
put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = *len + n + 1 > 2 * *cap ? *len + n + 64 : 2 * *cap;
		*buf = tally_xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static void
put_escaped(char **buf, size_t *len, size_t *cap, const char *s, size_t n, const char *special)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		/* a trailing backslash would escape the separator that follows */
		if ((unsigned char)c < 0x20 || c == 0x7f || (c == '\\' && i + 1 == n)) {
			put(buf, len, cap, "_", 1);
			continue;
		}
		if (strchr(special, c))
			put(buf, len, cap, "\\", 1);
		put(buf, len, cap, &c, 1);
	}
}

static int
cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	size_t n = x->kl < y->kl ? x->kl : y->kl;
	int c = memcmp(x->k, y->k, n);

	if (c)
		return c;
	if (x->kl != y->kl)
		return x->kl < y->kl ? -1 : 1;
	return x->order < y->order ? -1 : (x->order > y->order);
}

/* Splits the series' tags into sorted, unique-key pairs; returns how many. */
static size_t
collect_tags(const struct tally_series *s, struct kv *out)
{
	size_t n = 0, w = 0;

	if (s->host && *s->host)
		out[n++] = (struct kv){ "host", s->host, 4, strlen(s->host), 0 };
	for (size_t i = 0; i < s->n_tags; i++) {
		const char *t = s->tags[i], *colon = strchr(t, ':');
		struct kv kv = { t, "true", strlen(t), 4, i + 1 };

		if (colon) {
			kv.kl = (size_t)(colon - t);
			kv.v = colon + 1;
			kv.vl = strlen(colon + 1);
		}
		if (kv.kl && kv.vl)
			out[n++] = kv;
	}
	qsort(out, n, sizeof(*out), cmp_kv);
	for (size_t i = 0; i < n; i++) {
		if (w == 0 || out[w - 1].kl != out[i].kl ||
		    memcmp(out[w - 1].k, out[i].k, out[i].kl))
			out[w++] = out[i];
	}
	return w;
}

static const int64_t precision_mult[] = { 1, 1000, 1000000, 1000000000 };

size_t
tally_influx_line(const struct tally_series *s, enum tally_influx_precision prec, char **buf,
                  size_t *len, size_t *cap)
{
	struct kv stack_tags[16], *tags = stack_tags;
	size_t start = *len, n;
	char num[64];

	if (!isfinite(s->value))
		return 0;
	if (s->n_tags + 1 > sizeof(stack_tags) / sizeof(stack_tags[0]))
		tags = tally_xmalloc((s->n_tags + 1) * sizeof(*tags));
	put_escaped(buf, len, cap, s->name, strlen(s->name), ", ");
	n = collect_tags(s, tags);
	for (size_t i = 0; i < n; i++) {
		put(buf, len, cap, ",", 1);
		put_escaped(buf, len, cap, tags[i].k, tags[i].kl, ", =");
		put(buf, len, cap, "=", 1);
		put_escaped(buf, len, cap, tags[i].v, tags[i].vl, ", =");
	}
	if (tags != stack_tags)
		free(tags);
	put(buf, len, cap, " value=", 7);
	for (int p = 15; p <= 17; p++) {
		snprintf(num, sizeof(num), "%.*g", p, s->value);
		if (strtod(num, NULL) == s->value)
			break;
	}
	put(buf, len, cap, num, strlen(num));
	snprintf(num, sizeof(num), " %lld\n", (long long)(s->timestamp * precision_mult[prec]));
	put(buf, len, cap, num, strlen(num));
	return *len - start;
}

static void
close_payload(char **buf, size_t *len, size_t *cap, unsigned *lines,
              struct tally_fwd_payload ***tail)
{
	if (!*len)
		return;
	**tail = tally_fwd_payload_new("", "text/plain; charset=utf-8", NULL, (unsigned char *)*buf,
	                               *len);
	(**tail)->n_items = *lines;
	*tail = &(**tail)->next;
	*buf = NULL;
	*len = *cap = 0;
	*lines = 0;
}

void
tally_influx_build(const struct tally_batch *b, enum tally_influx_precision prec, size_t max_body,
                   struct tally_influx_result *res)
{
	struct tally_fwd_payload **tail = &res->payloads;
	char *buf = NULL, *line = NULL;
	size_t len = 0, cap = 0, line_cap = 0;
	unsigned lines = 0;

	memset(res, 0, sizeof(*res));
	if (!max_body)
		max_body = TALLY_INFLUX_MAX_BODY_BYTES;
	for (size_t i = 0; i < b->n_series; i++) {
		size_t line_len = 0;

		if (!tally_influx_line(&b->series[i], prec, &line, &line_len, &line_cap)) {
			res->invalid++;
			continue;
		}
		if (line_len > max_body) {
			res->too_big++;
			continue;
		}
		if (len + line_len > max_body)
			close_payload(&buf, &len, &cap, &lines, &tail);
		put(&buf, &len, &cap, line, line_len);
		lines++;
	}
	close_payload(&buf, &len, &cap, &lines, &tail);
	free(buf);
	free(line);
}

enum tally_influx_precision
tally_influx_url_precision(const char *url, int *has)
{
	static const struct {
		const char *name;
		enum tally_influx_precision prec;
	} names[] = {
		{ "s", TALLY_INFLUX_S },   { "ms", TALLY_INFLUX_MS }, { "u", TALLY_INFLUX_US },
		{ "us", TALLY_INFLUX_US }, { "n", TALLY_INFLUX_NS },  { "ns", TALLY_INFLUX_NS },
	};
	const char *q = strchr(url, '?'), *p;

	*has = 0;
	for (p = q; p && (p = strstr(p, "precision=")); p++) {
		if (p[-1] == '?' || p[-1] == '&')
			break;
	}
	if (!p)
		return TALLY_INFLUX_S;
	*has = 1;
	p += strlen("precision=");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i].name);

		if (strncmp(p, names[i].name, n) == 0 && (p[n] == '\0' || p[n] == '&'))
			return names[i].prec;
	}
	return TALLY_INFLUX_S;
}
