#include "prom_store.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <xxhash.h>

#include "batch.h"
#include "outfmt.h"
#include "prom_fmt.h"
#include "xmem.h"

#define HTAB_MIN_BUCKETS 64
/* A line up to this long is composed on the stack and added to the output in one call. */
#define LINE_STACK_BYTES 1024

/* An intrusive chained hash table node; the first member of what it indexes. */
struct hnode {
	struct hnode *next;
	uint64_t hash;
};

struct htab {
	struct hnode **buckets;
	size_t mask, n;
};

struct family {
	struct hnode h; /* first */
	struct family *prev, *next;
	struct series *first, *last;
	size_t n_series;
	bool counter;
	size_t name_len;
	char name[];
};

struct series {
	struct hnode h;               /* first */
	struct series *fprev, *fnext; /* in its family, first-seen order */
	struct series *lprev, *lnext; /* least recently updated first */
	struct family *fam;
	int64_t updated_s;
	double value;
	size_t labels_len;
	char labels[];
};

struct tally_prom_store {
	struct htab families, series;
	struct family *ffirst, *flast;
	struct series *lru_first, *lru_last;
	size_t max_series;
	uint32_t expiry_s;
	struct tally_prom_counts c;
	char *name, *labels; /* scratch for the key being looked up */
	size_t name_cap, labels_cap;
	size_t *offs;
	size_t offs_cap;
};

static void
htab_init(struct htab *t)
{
	t->buckets = tally_xcalloc(HTAB_MIN_BUCKETS, sizeof(*t->buckets));
	t->mask = HTAB_MIN_BUCKETS - 1;
	t->n = 0;
}

static void
htab_grow(struct htab *t)
{
	size_t size = (t->mask + 1) * 2;
	struct hnode **nb = tally_xcalloc(size, sizeof(*nb));

	for (size_t i = 0; i <= t->mask; i++) {
		struct hnode *n = t->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			n->next = nb[n->hash & (size - 1)];
			nb[n->hash & (size - 1)] = n;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->mask = size - 1;
}

static void
htab_insert(struct htab *t, struct hnode *n)
{
	if (t->n > t->mask)
		htab_grow(t);
	n->next = t->buckets[n->hash & t->mask];
	t->buckets[n->hash & t->mask] = n;
	t->n++;
}

static void
htab_remove(struct htab *t, struct hnode *n)
{
	struct hnode **pp = &t->buckets[n->hash & t->mask];

	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = n->next;
		t->n--;
	}
}

struct tally_prom_store *
tally_prom_store_new(size_t max_series, uint32_t expiry_s)
{
	struct tally_prom_store *st = tally_xcalloc(1, sizeof(*st));

	htab_init(&st->families);
	htab_init(&st->series);
	st->max_series = max_series;
	st->expiry_s = expiry_s;
	return st;
}

void
tally_prom_store_free(struct tally_prom_store *st)
{
	if (!st)
		return;
	for (struct series *s = st->lru_first, *next; s; s = next) {
		next = s->lnext;
		free(s);
	}
	for (struct family *f = st->ffirst, *next; f; f = next) {
		next = f->next;
		free(f);
	}
	free(st->families.buckets);
	free(st->series.buckets);
	free(st->name);
	free(st->labels);
	free(st->offs);
	free(st);
}

static void *
reserve(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	*cap = need * 2;
	return tally_xrealloc(p, *cap * elem);
}

/* Renders s's family name and labels into the scratch buffers; returns the name's length. */
static size_t
build_key(struct tally_prom_store *st, const struct tally_series *s, bool counter,
          size_t *labels_len)
{
	st->name = reserve(st->name, &st->name_cap, tally_prom_name_max(s->name), 1);
	st->labels = reserve(st->labels, &st->labels_cap, tally_prom_labels_max(s), 1);
	st->offs = reserve(st->offs, &st->offs_cap, s->n_tags + 1, sizeof(*st->offs));
	*labels_len = tally_prom_labels(s, st->labels, st->offs);
	return tally_prom_name(s->name, counter, st->name);
}

static struct family *
family_find(const struct tally_prom_store *st, const char *name, size_t len, uint64_t h)
{
	for (struct hnode *n = st->families.buckets[h & st->families.mask]; n; n = n->next) {
		struct family *f = (struct family *)n;

		if (n->hash == h && f->name_len == len && memcmp(f->name, name, len) == 0)
			return f;
	}
	return NULL;
}

static struct family *
family_add(struct tally_prom_store *st, const char *name, size_t len, uint64_t h, bool counter)
{
	struct family *f = tally_xcalloc(1, sizeof(*f) + len + 1);

	f->h.hash = h;
	f->counter = counter;
	f->name_len = len;
	memcpy(f->name, name, len + 1);
	f->prev = st->flast;
	if (st->flast)
		st->flast->next = f;
	else
		st->ffirst = f;
	st->flast = f;
	htab_insert(&st->families, &f->h);
	return f;
}

static void
family_remove(struct tally_prom_store *st, struct family *f)
{
	htab_remove(&st->families, &f->h);
	if (f->prev)
		f->prev->next = f->next;
	else
		st->ffirst = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		st->flast = f->prev;
	free(f);
}

static struct series *
series_find(const struct tally_prom_store *st, const struct family *f, const char *labels,
            size_t len, uint64_t h)
{
	for (struct hnode *n = st->series.buckets[h & st->series.mask]; n; n = n->next) {
		struct series *s = (struct series *)n;

		if (n->hash == h && s->fam == f && s->labels_len == len &&
		    memcmp(s->labels, labels, len) == 0)
			return s;
	}
	return NULL;
}

static void
lru_unlink(struct tally_prom_store *st, struct series *s)
{
	if (s->lprev)
		s->lprev->lnext = s->lnext;
	else
		st->lru_first = s->lnext;
	if (s->lnext)
		s->lnext->lprev = s->lprev;
	else
		st->lru_last = s->lprev;
	s->lprev = s->lnext = NULL;
}

static void
lru_append(struct tally_prom_store *st, struct series *s)
{
	s->lprev = st->lru_last;
	if (st->lru_last)
		st->lru_last->lnext = s;
	else
		st->lru_first = s;
	st->lru_last = s;
}

static struct series *
series_add(struct tally_prom_store *st, struct family *f, const char *labels, size_t len,
           uint64_t h)
{
	struct series *s = tally_xcalloc(1, sizeof(*s) + len + 1);

	s->h.hash = h;
	s->fam = f;
	s->labels_len = len;
	memcpy(s->labels, labels, len + 1);
	s->fprev = f->last;
	if (f->last)
		f->last->fnext = s;
	else
		f->first = s;
	f->last = s;
	f->n_series++;
	htab_insert(&st->series, &s->h);
	lru_append(st, s);
	return s;
}

static void
series_remove(struct tally_prom_store *st, struct series *s)
{
	struct family *f = s->fam;

	htab_remove(&st->series, &s->h);
	lru_unlink(st, s);
	if (s->fprev)
		s->fprev->fnext = s->fnext;
	else
		f->first = s->fnext;
	if (s->fnext)
		s->fnext->fprev = s->fprev;
	else
		f->last = s->fprev;
	free(s);
	if (--f->n_series == 0)
		family_remove(st, f);
}

/*
 * What a counter series adds: a rate times its interval, a count as is. A product within
 * 1e-9 of a whole number is that number, so a rate of 7/10 over 10 s adds exactly 7.
 */
static double
counter_increment(const struct tally_series *s)
{
	double inc, r;

	if (s->kind != TALLY_SERIES_RATE)
		return s->value;
	inc = s->value * (s->interval_s ? s->interval_s : 1);
	r = nearbyint(inc);
	return fabs(inc - r) <= 1e-9 * fmax(1.0, fabs(r)) ? r : inc;
}

int
tally_prom_store_put(struct tally_prom_store *st, const struct tally_series *s, int64_t now_s)
{
	bool counter = s->kind != TALLY_SERIES_GAUGE;
	double v = counter ? counter_increment(s) : s->value;
	size_t name_len, labels_len;
	uint64_t fh, sh;
	struct family *f;
	struct series *ser = NULL;

	if (counter && !isfinite(v)) {
		st->c.dropped_invalid++;
		return -EINVAL;
	}
	name_len = build_key(st, s, counter, &labels_len);
	fh = XXH3_64bits(st->name, name_len);
	sh = XXH3_64bits_withSeed(st->labels, labels_len, fh);
	f = family_find(st, st->name, name_len, fh);
	if (f && f->counter != counter) {
		st->c.dropped_conflict++;
		return -EEXIST;
	}
	if (f)
		ser = series_find(st, f, st->labels, labels_len, sh);
	if (!ser) {
		if (st->series.n >= st->max_series) {
			st->c.dropped_limit++;
			return -ENOSPC;
		}
		if (!f)
			f = family_add(st, st->name, name_len, fh, counter);
		ser = series_add(st, f, st->labels, labels_len, sh);
	} else {
		lru_unlink(st, ser);
		lru_append(st, ser);
	}
	ser->value = counter ? ser->value + v : v;
	ser->updated_s = now_s;
	return 0;
}

void
tally_prom_store_expire(struct tally_prom_store *st, int64_t now_s)
{
	while (st->lru_first && now_s - st->lru_first->updated_s > (int64_t)st->expiry_s) {
		series_remove(st, st->lru_first);
		st->c.expired++;
	}
}

static void
render_series(const struct family *f, const struct series *s, struct evbuffer *out)
{
	char num[TALLY_FMT_DOUBLE_MAX], line[LINE_STACK_BYTES];
	size_t nl = tally_fmt_double(s->value, num);
	size_t len = f->name_len + s->labels_len + 1 + nl + 1;

	if (len > sizeof(line)) {
		evbuffer_add(out, f->name, f->name_len);
		evbuffer_add(out, s->labels, s->labels_len);
		evbuffer_add_printf(out, " %s\n", num);
		return;
	}
	memcpy(line, f->name, f->name_len);
	memcpy(line + f->name_len, s->labels, s->labels_len);
	line[f->name_len + s->labels_len] = ' ';
	memcpy(line + f->name_len + s->labels_len + 1, num, nl);
	line[len - 1] = '\n';
	evbuffer_add(out, line, len);
}

void
tally_prom_store_render(const struct tally_prom_store *st, struct evbuffer *out)
{
	for (const struct family *f = st->ffirst; f; f = f->next) {
		evbuffer_add_printf(out, "# TYPE %s %s\n", f->name,
		                    f->counter ? "counter" : "gauge");
		for (const struct series *s = f->first; s; s = s->fnext)
			render_series(f, s, out);
	}
}

void
tally_prom_store_counts(const struct tally_prom_store *st, struct tally_prom_counts *c)
{
	*c = st->c;
	c->series = st->series.n;
	c->families = st->families.n;
}
