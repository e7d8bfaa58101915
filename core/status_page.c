/*
 * status_page: `tally status` as a page a person reads, like `datadog-agent status`: an Agent,
 * a DogStatsD, a Checks and an Outputs section, lists as aligned tables. It only formats the
 * /status document it is given (borrowed); any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "status.h"
#include "xmem.h"

#define MAX_COLS 10

/* A table of strings, printed with each column as wide as its widest cell. */
struct table {
	size_t n_cols, n_rows;
	char **cells; /* n_rows * n_cols, owned */
};

static void
table_row(struct table *t, const char *const *cols)
{
	t->cells = tally_xrealloc(t->cells, (t->n_rows + 1) * t->n_cols * sizeof(*t->cells));
	for (size_t i = 0; i < t->n_cols; i++)
		t->cells[t->n_rows * t->n_cols + i] = tally_xstrdup(cols[i] ? cols[i] : "");
	t->n_rows++;
}

/* Prints and frees t. The last column is not padded. */
static void
table_print(struct table *t, FILE *out)
{
	size_t w[MAX_COLS] = { 0 };

	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			size_t len = strlen(t->cells[r * t->n_cols + c]);

			w[c] = len > w[c] ? len : w[c];
		}
	}
	for (size_t r = 0; r < t->n_rows; r++) {
		fputs("  ", out);
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *cell = t->cells[r * t->n_cols + c];

			if (c + 1 < t->n_cols)
				fprintf(out, "%-*s  ", (int)w[c], cell);
			else
				fprintf(out, "%s\n", cell);
			free(t->cells[r * t->n_cols + c]);
		}
	}
	free(t->cells);
	t->cells = NULL;
	t->n_rows = 0;
}

static void
section(const char *title, FILE *out)
{
	size_t n = strlen(title);
	char rule[64];

	n = n < sizeof(rule) - 1 ? n : sizeof(rule) - 1;
	memset(rule, '=', n);
	rule[n] = '\0';
	fprintf(out, "\n%s\n%s\n", title, rule);
}

static struct json_object *
get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The field as text ("" when absent or null); valid until the document is put. */
static const char *
text(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v ? json_object_get_string(v) : "";
}

static size_t
count(struct json_object *arr)
{
	return arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

static void
kv(FILE *out, const char *label, const char *value)
{
	fprintf(out, "  %-22s %s\n", label, value);
}

static void
agent_section(struct json_object *doc, FILE *out)
{
	int64_t up = json_object_get_int64(get(doc, "uptime_s"));
	char buf[64];

	section("Agent", out);
	kv(out, "Version:", text(doc, "version"));
	kv(out, "Hostname:", text(doc, "hostname"));
	kv(out, "PID:", text(doc, "pid"));
	snprintf(buf, sizeof(buf), "%lldd %02lldh %02lldm %02llds", (long long)(up / 86400),
	         (long long)(up / 3600 % 24), (long long)(up / 60 % 60), (long long)(up % 60));
	kv(out, "Uptime:", buf);
	kv(out, "Config file:", text(doc, "config_file"));
	snprintf(buf, sizeof(buf), "%s s", text(doc, "flush_interval"));
	kv(out, "Flush interval:", buf);
}

static void
dogstatsd_section(struct json_object *doc, FILE *out)
{
	struct json_object *d = get(doc, "dogstatsd"), *ls = get(doc, "listeners");
	struct table t = { .n_cols = 7 };
	const char *head[] = { "LISTENER", "ADDRESS",      "PACKETS",     "BYTES",
		               "METRICS",  "PARSE ERRORS", "KERNEL DROPS" };

	section("DogStatsD", out);
	table_row(&t, head);
	for (size_t i = 0; i < count(ls); i++) {
		struct json_object *l = json_object_array_get_idx(ls, i);
		const char *row[] = { text(l, "type"),
			              text(l, "address"),
			              text(l, "packets"),
			              text(l, "bytes"),
			              text(l, "metrics"),
			              text(l, "parse_errors"),
			              get(l, "kernel_drops") ? text(l, "kernel_drops") : "-" };

		table_row(&t, row);
	}
	table_print(&t, out);
	fputc('\n', out);
	kv(out, "Metrics received:", text(d, "metrics"));
	kv(out, "Service checks:", text(d, "service_checks"));
	kv(out, "Events:", text(d, "events"));
	kv(out, "Parse errors:", text(d, "parse_errors"));
	json_object_object_foreach(get(d, "parse_errors_by_reason"), reason, n)
	{
		fprintf(out, "    %-20s %s\n", reason, json_object_get_string(n));
	}
	kv(out, "Truncated datagrams:", text(d, "truncated_datagrams"));
	kv(out, "Contexts:", text(d, "contexts"));
	kv(out, "Contexts dropped:", text(d, "contexts_dropped_limit"));
}

static void
print_lines(FILE *out, const char *title, struct json_object *arr)
{
	if (!count(arr))
		return;
	fprintf(out, "\n  %s (%zu)\n", title, count(arr));
	for (size_t i = 0; i < count(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);

		if (json_object_is_type(e, json_type_object))
			fprintf(out, "    %s: %s\n", text(e, "path"), text(e, "reason"));
		else
			fprintf(out, "    %s\n", json_object_get_string(e));
	}
}

static void
checks_section(struct json_object *doc, FILE *out)
{
	struct json_object *cs = get(doc, "checks");
	struct table t = { .n_cols = 8 };
	const char *head[] = { "CHECK",    "INSTANCE", "STATUS",  "RUNS",
		               "LAST RUN", "DURATION", "METRICS", "LAST ERROR / WARNING" };

	section("Checks", out);
	if (!count(cs)) {
		fputs("  no check instances\n", out);
	} else {
		table_row(&t, head);
		for (size_t i = 0; i < count(cs); i++) {
			struct json_object *c = json_object_array_get_idx(cs, i);
			char dur[32], last[32];
			const char *msg = text(c, "last_error");
			int64_t at = json_object_get_int64(get(c, "last_run"));
			int64_t now = json_object_get_int64(get(doc, "started")) +
			              json_object_get_int64(get(doc, "uptime_s"));

			snprintf(dur, sizeof(dur), "%.1f ms",
			         json_object_get_double(get(c, "last_duration_ms")));
			if (at)
				snprintf(last, sizeof(last), "%llds ago", (long long)(now - at));
			else
				snprintf(last, sizeof(last), "never");
			if (!*msg && *text(c, "last_warning"))
				msg = text(c, "last_warning");
			const char *row[] = { text(c, "check"),
				              text(c, "instance"),
				              text(c, "status"),
				              text(c, "runs"),
				              last,
				              dur,
				              text(c, "metrics"),
				              msg };
			table_row(&t, row);
		}
		table_print(&t, out);
	}
	print_lines(out, "Configuration errors", get(doc, "check_errors"));
	print_lines(out, "Refused plugins", get(doc, "refused_plugins"));
}

static void
outputs_section(struct json_object *doc, FILE *out)
{
	struct json_object *os = get(doc, "outputs");
	struct table t = { .n_cols = 7 };
	const char *head[] = { "NAME",    "TYPE",    "API KEY",   "QUEUE BYTES",
		               "RETRIES", "DROPPED", "LAST ERROR" };

	section("Outputs", out);
	table_row(&t, head);
	for (size_t i = 0; i < count(os); i++) {
		struct json_object *o = json_object_array_get_idx(os, i);
		const char *key = text(o, "api_key");
		const char *row[] = { text(o, "name"),
			              text(o, "type"),
			              *key ? key : "-",
			              text(o, "queue_bytes"),
			              text(o, "retries"),
			              text(o, "dropped_total"),
			              *text(o, "last_error") ? text(o, "last_error") : "-" };

		table_row(&t, row);
	}
	table_print(&t, out);
}

void
tally_status_page(struct json_object *doc, FILE *out)
{
	fprintf(out, "Tally %s status on %s\n", text(doc, "version"), text(doc, "hostname"));
	agent_section(doc, out);
	dogstatsd_section(doc, out);
	checks_section(doc, out);
	outputs_section(doc, out);
}
