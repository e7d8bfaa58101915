/*
 * prom_fmt: the pieces of the Prometheus text exposition format (version 0.0.4) for one
 * series: its metric family name and its label set.
 *
 * Rules: in names every byte outside [a-zA-Z0-9_:] becomes '_' ('.' and '-' included) and a
 * leading digit gets a '_' in front; counters are named <name>_total unless the name already
 * ends so. Label names likewise keep [a-zA-Z0-9_] only. The series' host comes first as
 * host="<host>" (omitted when empty), then each "k:v" tag as k="v"; a tag without a value
 * ("flag" or "flag:") becomes flag="true" and an empty key "_"; when two labels share a name
 * after sanitizing, the first is kept. Label values escape '\\', '"' and newline, and an
 * invalid UTF-8 byte becomes U+FFFD.
 *
 * Pure functions on caller buffers; any thread may call them.
 */
#ifndef TALLY_CORE_PROM_FMT_H
#define TALLY_CORE_PROM_FMT_H

#include <stdbool.h>
#include <stddef.h>

struct tally_series;

/* An upper bound on tally_prom_name()'s output for name, including the NUL. */
size_t tally_prom_name_max(const char *name);

/*
 * Writes the family name of a series called name (a counter when counter is true) into buf,
 * which holds tally_prom_name_max(name) bytes, NUL-terminated. Returns its length.
 */
size_t tally_prom_name(const char *name, bool counter, char *buf);

/* An upper bound on tally_prom_labels()'s output for s, including the NUL. */
size_t tally_prom_labels_max(const struct tally_series *s);

/*
 * Writes s's label set, "{host=\"h\",k=\"v\"}" or "" when it has none, into buf, which holds
 * tally_prom_labels_max(s) bytes, NUL-terminated. scratch holds s->n_tags + 1 entries (it
 * remembers the names written, to drop repeated ones). Borrows s. Returns its length.
 */
size_t tally_prom_labels(const struct tally_series *s, char *buf, size_t *scratch);

#endif
