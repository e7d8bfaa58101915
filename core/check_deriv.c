#include "check_deriv.h"

#include <stdlib.h>
#include <string.h>

#include "xmem.h"

#define INITIAL_BUCKETS 16

struct deriv_entry {
	struct deriv_entry *next;
	uint64_t hash;
	double value, when_s;
	size_t len;
	char key[];
};

struct tally_check_deriv {
	struct deriv_entry **buckets;
	size_t n_buckets; /* a power of two */
	size_t n, max;
	uint64_t dropped;
};

static uint64_t
hash_key(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct tally_check_deriv *
tally_check_deriv_new(size_t max_entries)
{
	struct tally_check_deriv *d = tally_xcalloc(1, sizeof(*d));

	d->n_buckets = INITIAL_BUCKETS;
	d->buckets = tally_xcalloc(d->n_buckets, sizeof(*d->buckets));
	d->max = max_entries;
	return d;
}

void
tally_check_deriv_free(struct tally_check_deriv *d)
{
	if (!d)
		return;
	tally_check_deriv_expire(d, __builtin_inf());
	free(d->buckets);
	free(d);
}

static void
grow(struct tally_check_deriv *d)
{
	size_t n = d->n_buckets * 2;
	struct deriv_entry **b = tally_xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < d->n_buckets; i++) {
		struct deriv_entry *e, *next;

		for (e = d->buckets[i]; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(d->buckets);
	d->buckets = b;
	d->n_buckets = n;
}

/* The entry for key; created (with *created set) when absent and there is room. */
static struct deriv_entry *
lookup(struct tally_check_deriv *d, const char *key, size_t len, bool *created)
{
	uint64_t h = hash_key(key, len);
	struct deriv_entry *e;

	*created = false;
	for (e = d->buckets[h & (d->n_buckets - 1)]; e; e = e->next) {
		if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0)
			return e;
	}
	if (d->n >= d->max) {
		d->dropped++;
		return NULL;
	}
	if (d->n >= d->n_buckets)
		grow(d);
	e = tally_xmalloc(sizeof(*e) + len);
	e->hash = h;
	e->len = len;
	memcpy(e->key, key, len);
	e->next = d->buckets[h & (d->n_buckets - 1)];
	d->buckets[h & (d->n_buckets - 1)] = e;
	d->n++;
	*created = true;
	return e;
}

bool
tally_check_deriv_update(struct tally_check_deriv *d, enum tally_deriv_kind kind, const char *key,
                         size_t len, double value, double now_s, double *out)
{
	bool created, emit = false;
	struct deriv_entry *e = lookup(d, key, len, &created);

	if (!e)
		return false;
	if (!created) {
		if (kind == TALLY_DERIV_RATE && now_s <= e->when_s)
			return false; /* no time passed: keep the older sample */
		if (value >= e->value) {
			*out = kind == TALLY_DERIV_RATE ? (value - e->value) / (now_s - e->when_s)
			                                : value - e->value;
			emit = true;
		}
	}
	e->value = value;
	e->when_s = now_s;
	return emit;
}

void
tally_check_deriv_expire(struct tally_check_deriv *d, double cutoff_s)
{
	for (size_t i = 0; i < d->n_buckets; i++) {
		struct deriv_entry **pp = &d->buckets[i];

		while (*pp) {
			struct deriv_entry *e = *pp;

			if (e->when_s < cutoff_s) {
				*pp = e->next;
				free(e);
				d->n--;
			} else {
				pp = &e->next;
			}
		}
	}
}

size_t
tally_check_deriv_size(const struct tally_check_deriv *d)
{
	return d->n;
}

uint64_t
tally_check_deriv_dropped(const struct tally_check_deriv *d)
{
	return d->dropped;
}
