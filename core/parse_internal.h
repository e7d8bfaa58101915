/*
 * parse_internal: the seam between parse.c (lines, metric lines, numbers) and parse_events.c
 * (service checks and events): the parser's scratch, the byte scanner and the field iterator
 * both walk lines with, and the entry points of the event side. Not for other modules, which use
 * parse.h. Same threading rule as parse.h: one parser per thread.
 *
 * The scanner and the field iterator are static inline on purpose: they are the inner loop of
 * the metric path (about 25 ns a line) and must inline there.
 */
#ifndef TALLY_CORE_PARSE_INTERNAL_H
#define TALLY_CORE_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "parse.h"
#include "swar.h"

/*
 * Scratch sized for the worst line of max_line_bytes: every packed value and every tag needs at
 * least one byte plus a separator, so neither can outnumber max_line_bytes / 2 + 1.
 */
struct tally_parser {
	size_t max_line_bytes;
	double *values;
	struct tally_slice *tags;
	char *num; /* NUL-terminated copy of a number for strtod; max_line_bytes + 1 */
};

struct tally_parse_host {
	bool found;
	struct tally_slice host;
};

/*
 * Walks the '|'-separated fields of a line. A '#' field is split into the tag scratch in the
 * same pass that finds its end, so tags are read once; its host: tag is set aside.
 */
struct tally_parse_fields {
	const char *start;   /* of the line */
	const char *p, *end; /* p is NULL once the last field has been returned */
	bool nul;            /* stopped at a NUL byte */
	struct tally_slice *tags;
	size_t n_tags; /* of the last '#' field */
	struct tally_parse_host host;
};

/*
 * First byte in [p, end) equal to a, b or NUL, else end, never reading outside [lo, end), where
 * lo <= p is the start of the line. With SSE2 (every x86-64) 16 bytes per step, and a tail
 * shorter than that read as the 16 bytes ending at end when the line is that long; otherwise 8
 * bytes per step in a word. Between them the scans of a metric line cover each byte once, which
 * makes the NUL check free, and they inline where the many short memchr calls of a line would
 * each cost a call.
 */
static inline const char *
tally_parse_scan(const char *lo, const char *p, const char *end, char a, char b)
{
	uint64_t ra = tally_swar_repeat((unsigned char)a);
	uint64_t rb = tally_swar_repeat((unsigned char)b), w, hit;

#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), zero = _mm_setzero_si128();
	unsigned m;
	__m128i v;

#define TALLY_PARSE_HITS16(v)                                                                      \
	(unsigned)_mm_movemask_epi8(                                                               \
	    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8((v), va), _mm_cmpeq_epi8((v), vb)),           \
	                 _mm_cmpeq_epi8((v), zero)))
	for (; end - p >= 16; p += 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)p);
		m = TALLY_PARSE_HITS16(v);
		if (m)
			return p + __builtin_ctz(m);
	}
	if (p == end)
		return end;
	if (end - lo >= 16) {
		/* The 16 bytes ending at end, less those before p. */
		v = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));
		m = TALLY_PARSE_HITS16(v) >> (16 - (end - p));
		return m ? p + __builtin_ctz(m) : end;
	}
#undef TALLY_PARSE_HITS16
#else
	(void)lo;
#endif
	for (; end - p >= 8; p += 8) {
		memcpy(&w, p, 8);
		hit = tally_swar_zero_bytes(w) | tally_swar_zero_bytes(w ^ ra) |
		      tally_swar_zero_bytes(w ^ rb);
		if (hit) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return p + __builtin_ctzll(hit) / 8;
#else
			return p + __builtin_clzll(hit) / 8;
#endif
		}
	}
	for (; p < end; p++)
		if (*p == a || *p == b || *p == '\0')
			return p;
	return end;
}

/* Splits the '#' field whose tags start at p on ',' (empty items skipped); returns its end. */
static inline const char *
tally_parse_split_tags(struct tally_parse_fields *it, const char *p)
{
	const char *stop;
	size_t n = 0;

	it->host.found = false;
	for (;;) {
		stop = tally_parse_scan(it->start, p, it->end, ',', '|');
		if (stop - p >= 5 && memcmp(p, "host:", 5) == 0) {
			it->host.found = true;
			it->host.host = (struct tally_slice){ p + 5, (size_t)(stop - p - 5) };
		} else if (stop > p) {
			it->tags[n++] = (struct tally_slice){ p, (size_t)(stop - p) };
		}
		if (stop == it->end || *stop != ',')
			break;
		p = stop + 1;
	}
	it->n_tags = n;
	return stop;
}

/* The next field into *field; false after the last one, or at a NUL byte (it->nul set). */
static inline bool
tally_parse_next_field(struct tally_parse_fields *it, struct tally_slice *field)
{
	const char *stop;

	if (!it->p)
		return false;
	if (it->p < it->end && *it->p == '#')
		stop = tally_parse_split_tags(it, it->p + 1);
	else
		stop = tally_parse_scan(it->start, it->p, it->end, '|', '|');
	if (stop < it->end && *stop == '\0') {
		it->nul = true;
		return false;
	}
	*field = (struct tally_slice){ it->p, (size_t)(stop - it->p) };
	it->p = stop < it->end ? stop + 1 : NULL;
	return true;
}

/*
 * A decimal int64 with an optional sign into *out (parse.c). Takes an empty slice too, whose
 * pointer may be NULL: absent fields are parsed the same way. False, *out untouched, otherwise.
 */
bool tally_parse_int64(struct tally_slice s, int64_t *out);

/*
 * A "_sc|" or "_e{" line already checked to hold no NUL byte (parse_events.c). Borrow the parser
 * and line, which the slices of *sc / *ev then point into; events are unescaped in place.
 */
enum tally_parse_err tally_parse_service_check(struct tally_parser *parser, char *line, size_t len,
                                               struct tally_service_check_line *sc);
enum tally_parse_err tally_parse_event(struct tally_parser *parser, char *line, size_t len,
                                       struct tally_event_line *ev);

#endif
