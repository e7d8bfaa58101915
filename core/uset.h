/*
 * uset: the distinct members of one set metric for one bucket. Members are kept as 64-bit XXH3
 * hashes in a small open-addressing table, so a member costs 8 bytes (or ~11 with free slots)
 * however long its string is; two members whose hashes collide count once, which at 64 bits
 * does not happen in practice.
 *
 * A uset belongs to the aggregator's thread; nothing here locks.
 */
#ifndef TALLY_CORE_USET_H
#define TALLY_CORE_USET_H

#include <stdbool.h>
#include <stddef.h>

struct tally_uset;

/* Returns a new, empty set; free it with tally_uset_free(). */
struct tally_uset *tally_uset_new(void);
/* Accepts NULL. */
void tally_uset_free(struct tally_uset *u);

/* Adds the member (len bytes at member, borrowed). Returns true if it was not there yet. */
bool tally_uset_add(struct tally_uset *u, const char *member, size_t len);
/* Number of distinct members added since creation or the last reset. */
size_t tally_uset_count(const struct tally_uset *u);
/* Empties the set; gives a large table back so one busy interval does not pin it. */
void tally_uset_reset(struct tally_uset *u);

#endif
