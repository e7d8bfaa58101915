/*
 * influx_line: turns one flush's series into InfluxDB line protocol — pure, no I/O.
 *
 *   <name>[,host=<host>][,<key>=<value>...] value=<float> <timestamp>
 *
 * The measurement is the metric name; the single field is `value` (a float: rates stay per
 * second, as in the Datadog series). Tags come from "key:value" (split at the first ':'); a
 * tag without ':' becomes key=true; a tag with an empty key or value is left out. The series'
 * host is the `host` tag and wins over a "host:..." tag; among tags with the same key the first
 * (in sorted order) is kept, since InfluxDB refuses duplicate keys. Tag keys are sorted, as
 * InfluxDB prefers. Commas, spaces and '=' are backslash-escaped (commas and spaces only in the
 * measurement); control characters, which would break a line, and a trailing backslash,
 * which would escape the separator after it, become '_'. Non-finite
 * values are left out and counted. Service checks and events are not written.
 * Reentrant; any thread.
 */
#ifndef TALLY_CORE_INFLUX_LINE_H
#define TALLY_CORE_INFLUX_LINE_H

#include <stddef.h>
#include <stdint.h>

struct tally_batch;
struct tally_fwd_payload;
struct tally_series;

/* Timestamp unit, from the `precision` parameter of the write URL. */
enum tally_influx_precision {
	TALLY_INFLUX_S = 0,
	TALLY_INFLUX_MS,
	TALLY_INFLUX_US,
	TALLY_INFLUX_NS,
};

#define TALLY_INFLUX_MAX_BODY_BYTES (4u * 1024 * 1024)

struct tally_influx_result {
	struct tally_fwd_payload *payloads; /* ->next chain; caller owns */
	uint64_t too_big;                   /* lines longer than max_body on their own */
	uint64_t invalid;                   /* non-finite values */
};

/*
 * Builds "text/plain" payloads (path "") of at most max_body bytes (0: the default) for b's
 * series (borrowed) into *res, which it zeroes first.
 */
void tally_influx_build(const struct tally_batch *b, enum tally_influx_precision prec,
                        size_t max_body, struct tally_influx_result *res);

/*
 * Appends one series' line (with its '\n') to the growing buffer *buf (*len used, *cap
 * allocated; realloc'd as needed, caller frees). Returns the line's length, or 0 when the
 * value is not finite (nothing is written).
 */
size_t tally_influx_line(const struct tally_series *s, enum tally_influx_precision prec, char **buf,
                         size_t *len, size_t *cap);

/*
 * Parses the precision parameter of url ("s", "ms", "u"/"us", "n"/"ns"); *has is set to
 * whether url has one. Absent or unknown: TALLY_INFLUX_S.
 */
enum tally_influx_precision tally_influx_url_precision(const char *url, int *has);

#endif
