/*
 * xmem: allocation that never returns NULL.
 *
 * Tally bounds its memory by policy (context limit, queue bytes, packet size), so running out
 * of heap is not a condition the rest of the code can recover from; these log and abort, which
 * removes untestable NULL branches from every caller. Any thread may call them.
 */
#ifndef TALLY_CORE_XMEM_H
#define TALLY_CORE_XMEM_H

#include <stddef.h>

void *tally_xmalloc(size_t size);
void *tally_xcalloc(size_t n, size_t size);
void *tally_xrealloc(void *ptr, size_t size);
/* Returns a NUL-terminated copy of s; the caller frees it. */
char *tally_xstrdup(const char *s);
/* Returns a NUL-terminated copy of the first len bytes of s; the caller frees it. */
char *tally_xstrndup(const char *s, size_t len);
void *tally_xgrow_slow(void *p, size_t *cap, size_t need, size_t elem, size_t min_cap);

/*
 * Makes room for need elements of elem bytes in the array p, which has room for *cap: doubles
 * *cap (starting from min_cap, or need if that is more) and returns the array, moved or not.
 * Inline up to the check, since callers add one element at a time.
 */
static inline void *
tally_xgrow(void *p, size_t *cap, size_t need, size_t elem, size_t min_cap)
{
	if (need <= *cap)
		return p;
	return tally_xgrow_slow(p, cap, need, elem, min_cap);
}

#endif
