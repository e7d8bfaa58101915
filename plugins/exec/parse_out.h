/*
 * parse_out: the text formats of command plugins, bytes in, items out (no I/O, no agent).
 *
 * mackerel-agent plugins print "name\tvalue\tepoch" lines. Nagios / Monitoring Plugins print
 * "TEXT | PERFDATA" on the first line, optionally long text lines after it, and perfdata after
 * a '|' on a later line (Nagios 3: from that '|' on, every following line is perfdata).
 * A perfdata item is 'label'=value[UOM];[warn];[crit];[min];[max], the label in single quotes
 * when it has spaces ('' is a quote inside them); items are separated by blanks.
 */
#ifndef TALLY_EXEC_PARSE_OUT_H
#define TALLY_EXEC_PARSE_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest label or mackerel name kept (the agent refuses metric names over 200 bytes). */
#define EXEC_LABEL_MAX 200

struct exec_mackerel_line {
	char name[EXEC_LABEL_MAX + 1];
	double value;
	int64_t epoch;
};

/*
 * Parses one line (without its '\n'): exactly three tab-separated fields, a non-empty name
 * without blanks, a finite number and an integer epoch > 0. Returns 0, or -EINVAL.
 */
int exec_mackerel_line(const char *line, size_t len, struct exec_mackerel_line *out);

enum exec_perf_kind {
	EXEC_PERF_GAUGE = 0,
	EXEC_PERF_COUNTER, /* UOM "c": a counter, to be submitted as a monotonic count */
};

struct exec_perf_item {
	char label[EXEC_LABEL_MAX + 1]; /* unquoted */
	double value;                   /* in base units: seconds, bytes; % as written */
	enum exec_perf_kind kind;
};

/* Called for each valid perfdata item; the item is borrowed for the call. */
typedef void (*exec_perf_fn)(void *arg, const struct exec_perf_item *item);

/*
 * Parses perfdata text (len bytes, several items); calls fn for each valid one. Returns the
 * number of malformed items (bad label, value, or unknown UOM); a value "U" (unknown) is
 * skipped without counting.
 */
size_t exec_perfdata(const char *text, size_t len, exec_perf_fn fn, void *arg);

/*
 * Splits Nagios plugin output: writes the message (the first line's text, then the long text
 * lines, '\n'-separated, trimmed, cut at max_message bytes) into msg (max_message + 1 bytes)
 * and hands all perfdata to exec_perfdata(). Returns its count of malformed items.
 */
size_t exec_nagios(const char *out, size_t len, char *msg, size_t max_message, exec_perf_fn fn,
                   void *arg);

/*
 * Multiplier of a perfdata unit to base units (s, ms, us -> seconds; B, KB, MB, GB, TB -> bytes,
 * 1024-based as the Monitoring Plugins mean them; % and "" -> 1; "c" -> 1 and a counter).
 * Returns false for an unknown unit. Case matters as in the Nagios guidelines, except that
 * kB/Kb/... and lower-case byte units are accepted too.
 */
bool exec_perf_unit(const char *uom, size_t len, double *mult, enum exec_perf_kind *kind);

#endif
