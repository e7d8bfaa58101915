/* check_print: prints one check run for `tally check`, as JSON lines or as a table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "check_cmd.h"
#include "check_sink.h"

static const char *const status_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

/* The shortest text that reads back as v ("99.8", not "99.799999999999997"). */
static void
format_number(double v, char *buf, size_t size)
{
	snprintf(buf, size, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, size, "%.17g", v);
}

static struct json_object *
json_number(double v)
{
	char buf[40];

	format_number(v, buf, sizeof(buf));
	return json_object_new_double_s(v, buf);
}

static struct json_object *
json_tags(char *const *tags, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(tags[i]));
	return a;
}

static void
put_line(struct json_object *o, FILE *out)
{
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void
print_json(const struct tally_check_run *run, FILE *out)
{
	for (size_t i = 0; i < run->n_metrics; i++) {
		const struct tally_check_metric *m = &run->metrics[i];
		struct json_object *o;

		if (!m->has_value)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "metric", json_object_new_string(m->name));
		json_object_object_add(o, "type",
		                       json_object_new_string(tally_check_metric_type(m)));
		if (m->set_value)
			json_object_object_add(o, "value", json_object_new_string(m->set_value));
		else
			json_object_object_add(o, "value", json_number(m->value));
		if (m->timestamp)
			json_object_object_add(o, "timestamp", json_object_new_int64(m->timestamp));
		if (m->wire && m->sample_rate != 1)
			json_object_object_add(o, "sample_rate", json_number(m->sample_rate));
		json_object_object_add(o, "tags", json_tags(m->tags, m->n_tags));
		json_object_object_add(o, "host", json_object_new_string(m->host));
		put_line(o, out);
	}
	for (size_t i = 0; i < run->n_svcs; i++) {
		const struct tally_check_svc *c = &run->svcs[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "check", json_object_new_string(c->name));
		json_object_object_add(o, "status", json_object_new_int(c->status));
		json_object_object_add(o, "tags", json_tags(c->tags, c->n_tags));
		json_object_object_add(o, "message", json_object_new_string(c->message));
		json_object_object_add(o, "host", json_object_new_string(c->host));
		put_line(o, out);
	}
	for (size_t i = 0; i < run->n_events; i++) {
		const struct tally_check_evt *e = &run->events[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "event", json_object_new_string(e->title));
		json_object_object_add(o, "text", json_object_new_string(e->text));
		json_object_object_add(o, "alert_type", json_object_new_string(e->alert_type));
		json_object_object_add(o, "priority", json_object_new_string(e->priority));
		json_object_object_add(o, "tags", json_tags(e->tags, e->n_tags));
		json_object_object_add(o, "host", json_object_new_string(e->host));
		put_line(o, out);
	}
}

static void
print_tags(char *const *tags, size_t n, const char *host, FILE *out)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? "," : "", tags[i]);
	if (host[0])
		fprintf(out, "%shost:%s", n ? "," : "", host);
	fputc('\n', out);
}

static void
print_table(const struct tally_check_run *run, FILE *out)
{
	char value[40];

	fprintf(out, "%-44s %-15s %16s  %s\n", "METRIC", "TYPE", "VALUE", "TAGS");
	for (size_t i = 0; i < run->n_metrics; i++) {
		const struct tally_check_metric *m = &run->metrics[i];

		if (m->has_value)
			format_number(m->value, value, sizeof(value));
		else
			snprintf(value, sizeof(value), "(first sample)");
		fprintf(out, "%-44s %-15s %16s  ", m->name, tally_check_metric_type(m),
		        m->set_value ? m->set_value : value);
		print_tags(m->tags, m->n_tags, m->host, out);
	}
	for (size_t i = 0; i < run->n_svcs; i++) {
		const struct tally_check_svc *c = &run->svcs[i];

		fprintf(out, "service check %s %s \"%s\" ", c->name, status_names[c->status & 3],
		        c->message);
		print_tags(c->tags, c->n_tags, c->host, out);
	}
	for (size_t i = 0; i < run->n_events; i++) {
		const struct tally_check_evt *e = &run->events[i];

		fprintf(out, "event [%s/%s] \"%s\" \"%s\" ", e->alert_type, e->priority, e->title,
		        e->text);
		print_tags(e->tags, e->n_tags, e->host, out);
	}
}

void
tally_check_run_print(const struct tally_check_run *run, bool json, FILE *out)
{
	if (json)
		print_json(run, out);
	else
		print_table(run, out);
	fflush(out);
}
