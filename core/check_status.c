/* check_status: the checks section of `tally status`, built from check_sched's accessors. */
#include <json-c/json.h>

#include <tally/check.h>

#include "check_loader.h"
#include "check_sched.h"
#include "confd.h"

static void
put_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static void
put_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static void
put_double(struct json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, json_object_new_double(v));
}

static struct json_object *
inst_json(const struct tally_check_inst *inst)
{
	const struct tally_confd_instance *c = tally_check_inst_conf(inst);
	const struct tally_plugin *p = tally_check_inst_plugin(inst);
	const struct tally_check_inst_status *st = tally_check_inst_status(inst);
	struct json_object *o = json_object_new_object();

	put_str(o, "check", c->check);
	put_str(o, "instance", c->id);
	put_str(o, "version", p->desc->version ? p->desc->version : "");
	put_str(o, "plugin", p->path);
	put_str(o, "config", c->file);
	put_str(o, "status", st->state);
	put_double(o, "interval_s", c->interval_s);
	put_double(o, "effective_interval_s", st->effective_interval_s);
	put_double(o, "timeout_s", c->timeout_s);
	put_u64(o, "runs", st->runs);
	put_u64(o, "failures", st->failures);
	put_u64(o, "consecutive_failures", st->consecutive_failures);
	put_u64(o, "timeouts", st->timeouts);
	put_u64(o, "last_run", (uint64_t)st->last_run_s);
	put_double(o, "last_duration_ms", st->last_duration_ms);
	put_u64(o, "metrics", st->last_metrics);
	put_u64(o, "metrics_total", st->metrics_total);
	put_u64(o, "service_checks", st->last_service_checks);
	put_u64(o, "events", st->last_events);
	put_str(o, "last_error", st->last_error);
	put_str(o, "last_warning", st->last_warning);
	return o;
}

struct json_object *
tally_check_sched_status_json(struct tally_check_sched *s)
{
	struct json_object *arr = json_object_new_array();

	for (struct tally_check_inst *i = tally_check_sched_first(s); i;
	     i = tally_check_sched_next(i))
		json_object_array_add(arr, inst_json(i));
	return arr;
}
