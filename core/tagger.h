/*
 * tagger: tags that checks publish for an entity ("container_id://<64 hex>"), which the
 * receiver adds to DogStatsD traffic whose origin is that entity (the sender's pid through
 * origin.h, the |c:ci-<id> field, the dd.internal.entity_id tag).
 *
 * One store per process. Publishing (any thread: check workers) takes a mutex and bumps a
 * generation. Reading never takes it on the hot path: each receiver thread owns a view, a
 * private copy of the store that it refreshes (under the mutex, once) only when the
 * generation moved, so a lookup is one atomic load plus a hash probe in thread-local memory.
 * Entries expire ttl_s seconds after their last publication.
 */
#ifndef TALLY_CORE_TAGGER_H
#define TALLY_CORE_TAGGER_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"

#define TALLY_TAGGER_MAX_TAGS    64   /* tags per entity; more are dropped */
#define TALLY_TAGGER_MAX_ENTITY  4096 /* entities kept; a new one beyond is refused */
#define TALLY_TAGGER_MAX_TAG_LEN 200

/*
 * Replaces the tags of entity (borrowed; copied) with tags[0..n), expiring at now_s + ttl_s;
 * n 0 forgets the entity. Returns 0, -EINVAL (empty entity, overlong tag), -ENOSPC (store
 * full), -ENOMEM. Any thread.
 */
int tally_tagger_publish(const char *entity, const char *const *tags, size_t n, uint32_t ttl_s,
                         int64_t now_s);

/* Forgets every entity (tests; SIGHUP reload could use it). Any thread. */
void tally_tagger_reset(void);

/* One reader's private copy. Owned by one thread. */
struct tally_tagger_view;

struct tally_tagger_view *tally_tagger_view_new(void);
void tally_tagger_view_free(struct tally_tagger_view *v); /* accepts NULL */

/*
 * The tags of "container_id://" + id[0..len), as slices valid until the next call on v, and
 * their number in *n; NULL (and *n 0) when unknown or expired at now_s. Refreshes v first
 * when the store changed. Owner thread of v only.
 */
const struct tally_slice *tally_tagger_view_container(struct tally_tagger_view *v, const char *id,
                                                      size_t len, int64_t now_s, size_t *n);

/* Same, for a whole entity name ("container_id://<id>"). */
const struct tally_slice *tally_tagger_view_get(struct tally_tagger_view *v, const char *entity,
                                                size_t len, int64_t now_s, size_t *n);

#endif
