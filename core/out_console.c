#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "output.h"
#include "xmem.h"

static const char *const status_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

/* Integral values print as integers, others with enough digits to round-trip readably. */
static void
format_value(double v, char *out, size_t len)
{
	if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
		snprintf(out, len, "%.0f", v);
	else
		snprintf(out, len, "%.6g", v);
}

/* Strings from the wire may hold newlines (event text): keep one record per line. */
static void
print_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f || c == '"')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static void
print_tags(FILE *f, const char *const *tags, size_t n, const char *host)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "," : "", tags[i]);
	if (host && *host)
		fprintf(f, "%shost:%s", n ? "," : "", host);
}

static void
print_series(FILE *f, const struct tally_batch *b)
{
	char value[48];

	fprintf(f, "%-48s %-6s %16s  %s\n", "METRIC", "TYPE", "VALUE", "TAGS");
	for (size_t i = 0; i < b->n_series; i++) {
		const struct tally_series *s = &b->series[i];

		format_value(s->value, value, sizeof(value));
		fprintf(f, "%-48s %-6s %16s  ", s->name, tally_series_kind_name(s->kind), value);
		print_tags(f, s->tags, s->n_tags, s->host);
		if (s->timestamp != b->series[0].timestamp)
			fprintf(f, " ts=%lld", (long long)s->timestamp);
		fputc('\n', f);
	}
}

static void
print_checks_and_events(FILE *f, const struct tally_batch *b)
{
	for (size_t i = 0; i < b->n_checks; i++) {
		const struct tally_service_check *c = &b->checks[i];
		int st = c->status >= 0 && c->status <= 3 ? c->status : 3;

		fprintf(f, "check  %s %s \"", c->name, status_names[st]);
		print_escaped(f, c->message);
		fputs("\" ", f);
		print_tags(f, c->tags, c->n_tags, c->host);
		fputc('\n', f);
	}
	for (size_t i = 0; i < b->n_events; i++) {
		const struct tally_event *e = &b->events[i];

		fprintf(f, "event  [%s/%s] \"", e->alert_type, e->priority);
		print_escaped(f, e->title);
		fputs("\" \"", f);
		print_escaped(f, e->text);
		fputs("\" ", f);
		print_tags(f, e->tags, e->n_tags, e->host);
		fputc('\n', f);
	}
}

static void
console_submit(struct tally_output *out, struct tally_batch *b)
{
	char when[32];
	time_t t = (time_t)b->flush_ts;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("=== flush %s series=%zu service_checks=%zu events=%zu\n", when, b->n_series,
	       b->n_checks, b->n_events);
	print_series(stdout, b);
	print_checks_and_events(stdout, b);
	fflush(stdout);
}

static void
console_free(struct tally_output *out)
{
	free(out->name);
	free(out);
}

static const struct tally_output_ops console_ops = {
	.type = "console",
	.submit = console_submit,
	.drain = NULL,
	.free = console_free,
};

struct tally_output *
tally_out_console_new(void)
{
	struct tally_output *out = tally_xcalloc(1, sizeof(*out));

	out->ops = &console_ops;
	out->name = tally_xstrdup("console");
	return out;
}
