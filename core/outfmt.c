#include "outfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t
tally_fmt_double(double v, char *buf)
{
	int n;

	if (isnan(v))
		return (size_t)snprintf(buf, TALLY_FMT_DOUBLE_MAX, "NaN");
	if (isinf(v))
		return (size_t)snprintf(buf, TALLY_FMT_DOUBLE_MAX, v > 0 ? "+Inf" : "-Inf");
	if (v == 0)
		v = 0; /* no "-0" */
	n = snprintf(buf, TALLY_FMT_DOUBLE_MAX, "%.15g", v);
	if (strtod(buf, NULL) != v)
		n = snprintf(buf, TALLY_FMT_DOUBLE_MAX, "%.17g", v);
	return (size_t)n;
}

void
tally_tag_split(const char *tag, struct tally_tag_kv *kv)
{
	const char *colon = strchr(tag, ':');

	kv->key = tag;
	kv->key_len = colon ? (size_t)(colon - tag) : strlen(tag);
	kv->val = colon ? colon + 1 : "";
	kv->val_len = strlen(kv->val);
	if (kv->key_len == 0) {
		kv->key = "_";
		kv->key_len = 1;
	}
	if (kv->val_len == 0) {
		kv->val = "true";
		kv->val_len = 4;
	}
}

/* More tags than this on a health series is not a sensible config; the rest are left out. */
#define EMIT_MAX_TAGS 64

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
tally_out_emit_series(const struct tally_out_emit *e, const char *name, enum tally_series_kind kind,
                      double value, const char *extra_tag)
{
	const char *tags[EMIT_MAX_TAGS + 1];
	size_t n = 0, u = 0;

	if (extra_tag)
		tags[n++] = extra_tag;
	for (size_t i = 0; i < e->n_tags && i < EMIT_MAX_TAGS; i++)
		tags[n++] = e->tags[i];
	qsort(tags, n, sizeof(tags[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (u == 0 || strcmp(tags[u - 1], tags[i]) != 0)
			tags[u++] = tags[i];
	}
	tally_batch_add_series(e->b, name, e->host, tags, u, kind, e->ts, value, e->interval_s);
}
