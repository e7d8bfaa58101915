/*
 * events.c: collect_events. Each run asks the engine for the container events since the
 * previous run (/events?since=..&until=now, which answers at once with a sequence of JSON
 * objects and ends) and submits each as a Datadog event, as the Agent 5 check did: title
 * "<name> <action>", aggregated per image, low priority for exec and health-check noise, alert
 * type error for oom and kill, warning for a non-zero exit. The first run only sets the start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "docker.h"

#define EVENTS_MAX_PER_RUN 1000 /* more in one interval are counted in one log line */

static const char *
attr(struct json_object *ev, const char *key)
{
	struct json_object *actor, *attrs, *v;

	if (json_object_object_get_ex(ev, "Actor", &actor) &&
	    json_object_object_get_ex(actor, "Attributes", &attrs) &&
	    json_object_object_get_ex(attrs, key, &v))
		return json_object_get_string(v);
	return NULL;
}

static const char *
field(struct json_object *ev, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(ev, key, &v) ? json_object_get_string(v) : NULL;
}

static const char *
alert_type(const char *action, const char *exit_code)
{
	if (strcmp(action, "oom") == 0 || strcmp(action, "kill") == 0)
		return "error";
	if (strcmp(action, "die") == 0 && exit_code && strcmp(exit_code, "0") != 0)
		return "warning";
	return "info";
}

/* One container event; false when the include/exclude rules skip it. */
static bool
submit_one(struct docker_state *st, const struct tally_check_ops *ops, struct tally_check_ctx *ctx,
           struct json_object *ev)
{
	const char *action = field(ev, "Action"), *name = attr(ev, "name");
	const char *image = attr(ev, "image"), *exit_code = attr(ev, "exitCode");
	struct docker_tags t = { .n = 0 };
	char title[300], text[600], agg[300], iname[256], itag[128], ishort[128];
	struct json_object *tm;
	struct tally_check_event e = { 0 };
	bool kept;

	if (!action || !name)
		return false;
	image = image ? image : "";
	docker_image_split(image, iname, sizeof(iname), itag, sizeof(itag), ishort, sizeof(ishort));
	docker_tags_add(&t, "container_name", name);
	docker_tags_add(&t, "docker_image", image);
	docker_tags_add(&t, "image_name", iname);
	docker_tags_add(&t, "image_tag", itag);
	kept = !docker_filter_match(&st->exc, t.items, t.n) ||
	       docker_filter_match(&st->inc, t.items, t.n);
	if (kept) {
		snprintf(title, sizeof(title), "%s %s", name, action);
		snprintf(text, sizeof(text), "Container %s (image %s): %s%s%s", name, image, action,
		         exit_code ? ", exit code " : "", exit_code ? exit_code : "");
		snprintf(agg, sizeof(agg), "docker:%s", image);
		e.title = title;
		e.text = text;
		e.alert_type = alert_type(action, exit_code);
		e.priority = strncmp(action, "exec_", 5) == 0 || strncmp(action, "health_", 7) == 0
		                 ? "low"
		                 : "normal";
		e.aggregation_key = agg;
		e.source_type_name = "docker";
		e.timestamp =
		    json_object_object_get_ex(ev, "time", &tm) ? json_object_get_int64(tm) : 0;
		e.tags = (const char *const *)t.items;
		e.n_tags = t.n;
		ops->event(ctx, &e);
	}
	docker_tags_clear(&t);
	return kept;
}

void
docker_collect_events(struct docker_state *st, const struct tally_check_ops *ops,
                      struct tally_check_ctx *ctx)
{
	/* filters={"type":["container"]}, URL-encoded */
	static const char filt[] = "%7B%22type%22%3A%5B%22container%22%5D%7D";
	struct timespec ts;
	struct json_tokener *tok;
	const char *body;
	size_t len, off = 0, n = 0, over = 0;
	char path[256], until[48];

	clock_gettime(CLOCK_REALTIME, &ts);
	/* the engine compares in nanoseconds: [since, until] now, [until, ...] next run */
	snprintf(until, sizeof(until), "%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
	if (!st->events_since[0]) {
		snprintf(st->events_since, sizeof(st->events_since), "%s", until);
		return;
	}
	snprintf(path, sizeof(path), "/events?since=%s&until=%s&filters=%s", st->events_since,
	         until, filt);
	if (docker_engine_get_raw(st->eng, path, &body, &len) < 0) {
		ops->log(ctx, TALLY_CHECK_LOG_WARN, "events: %s", docker_engine_error(st->eng));
		return;
	}
	snprintf(st->events_since, sizeof(st->events_since), "%s", until);
	tok = json_tokener_new();
	while (tok && off < len) {
		struct json_object *ev;

		while (off < len && (body[off] == '\n' || body[off] == '\r' || body[off] == ' '))
			off++;
		if (off >= len)
			break;
		ev = json_tokener_parse_ex(tok, body + off, (int)(len - off));
		if (!ev || json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(ev);
			ops->log(ctx, TALLY_CHECK_LOG_WARN, "events: unparsable answer at byte %zu",
			         off);
			break;
		}
		off += json_tokener_get_parse_end(tok);
		json_tokener_reset(tok);
		if (n < EVENTS_MAX_PER_RUN) {
			if (submit_one(st, ops, ctx, ev))
				n++;
		} else {
			over++;
		}
		json_object_put(ev);
	}
	json_tokener_free(tok);
	if (over)
		ops->log(ctx, TALLY_CHECK_LOG_WARN, "events: %zu more than %d in one run dropped",
		         over, EVENTS_MAX_PER_RUN);
}
