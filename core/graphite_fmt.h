/*
 * graphite_fmt: one series as a Graphite 1.1 plaintext line with tags,
 *
 *     name;host=h1;k1=v1;k2=v2 value timestamp\n
 *
 * Rules, the same as the Prometheus output's (prom_fmt.h): the series' host comes first as
 * host=<host> (omitted when empty); each "k:v" tag becomes k=v, a tag without a value ("flag"
 * or "flag:") becomes flag=true and an empty key becomes "_"; when two tags share a key after
 * sanitizing, the first is kept. Bytes Graphite forbids or that would break the line (space
 * and other control bytes, DEL, ';', '~', '!', '^', '=') become '_' in the name, tag keys and
 * tag values; other bytes, UTF-8 included, pass unchanged. The value is the series' own (a
 * DogStatsD counter's per-second rate, as in the Datadog intake) and the timestamp its Unix
 * seconds.
 *
 * Pure functions; any thread may call them.
 */
#ifndef TALLY_CORE_GRAPHITE_FMT_H
#define TALLY_CORE_GRAPHITE_FMT_H

#include <stddef.h>

struct tally_series;

/* An upper bound on the length of s's line. Borrows s. */
size_t tally_graphite_line_max(const struct tally_series *s);

/*
 * Writes s's line, '\n'-terminated and not NUL-terminated, into buf, which holds at least
 * tally_graphite_line_max(s) bytes. Borrows s. Returns the line's length, or 0 when the value
 * is NaN or infinite (Graphite cannot store it; the caller counts the drop).
 */
size_t tally_graphite_format(const struct tally_series *s, char *buf);

#endif
