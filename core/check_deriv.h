/*
 * check_deriv: the previous samples of one check instance's rate() and monotonic_count()
 * submissions, so that checks stay stateless readers (tally/check.h has the rules).
 *
 * A table of key -> (last raw value, when), keyed by the caller's bytes (kind, name, sorted
 * tags, host). Bounded: at most max_entries keys; a new key beyond that is not remembered
 * (and counted). Not thread-safe: one instance runs on one thread at a time, and its table
 * goes with it.
 */
#ifndef TALLY_CORE_CHECK_DERIV_H
#define TALLY_CORE_CHECK_DERIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tally_deriv_kind {
	TALLY_DERIV_RATE = 0,  /* (value - previous) / seconds between them */
	TALLY_DERIV_MONOTONIC, /* value - previous */
};

struct tally_check_deriv;

/* Returns a new empty table; free it with tally_check_deriv_free(). */
struct tally_check_deriv *tally_check_deriv_new(size_t max_entries);
/* Accepts NULL. */
void tally_check_deriv_free(struct tally_check_deriv *d);

/*
 * Records value for key (len bytes, borrowed) at now_s (monotonic seconds). Returns true
 * with the derived value in *out when there is one: not for the first sample, not when the
 * value went down (a reset: it becomes the new baseline), and for a rate not when no time
 * has passed (the previous sample is then kept).
 */
bool tally_check_deriv_update(struct tally_check_deriv *d, enum tally_deriv_kind kind,
                              const char *key, size_t len, double value, double now_s, double *out);

/* Forgets keys last updated before cutoff_s. */
void tally_check_deriv_expire(struct tally_check_deriv *d, double cutoff_s);

/* Keys remembered now. */
size_t tally_check_deriv_size(const struct tally_check_deriv *d);
/* New keys not remembered because the table was full, since creation. */
uint64_t tally_check_deriv_dropped(const struct tally_check_deriv *d);

#endif
