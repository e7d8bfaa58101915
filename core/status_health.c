/*
 * status_health: the verdict behind GET /health, from the same status document the page
 * shows, so that /health and `tally status` never disagree. Main thread.
 *
 * Healthy means: the event loop answers (it is answering this), a flush reached the outputs
 * within 2 flush intervals + 5 s, and no output is dead. An HTTP output is dead while one of
 * its endpoints has its circuit breaker open (blocked or probing after failures); Graphite is
 * dead while it is not connected and has lines waiting.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "clock.h"
#include "status.h"

static const char *
str_field(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static int64_t
int_field(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* The first failing endpoint of an HTTP output, as a reason; false when all are closed. */
static bool
endpoints_dead(struct json_object *out, const char *name, char *why, size_t len)
{
	struct json_object *eps;

	if (!json_object_object_get_ex(out, "endpoints", &eps))
		return false;
	for (size_t i = 0; i < json_object_array_length(eps); i++) {
		struct json_object *ep = json_object_array_get_idx(eps, i);
		const char *state = str_field(ep, "state");
		const char *last = str_field(ep, "last_error");

		if (state && strcmp(state, "closed") != 0) {
			snprintf(why, len,
			         "output %s endpoint %s is %s after %lld errors (last: %s)", name,
			         str_field(ep, "endpoint"), state,
			         (long long)int_field(ep, "errors"), last ? last : "none");
			return true;
		}
	}
	return false;
}

static bool
output_dead(struct json_object *out, char *why, size_t len)
{
	const char *name = str_field(out, "name");
	struct json_object *v;

	if (endpoints_dead(out, name ? name : "?", why, len))
		return true;
	if (json_object_object_get_ex(out, "connected", &v) && !json_object_get_boolean(v) &&
	    int_field(out, "queue_lines") > 0) {
		snprintf(why, len, "output %s is not connected to %s (%lld lines waiting)",
		         name ? name : "?", str_field(out, "address"),
		         (long long)int_field(out, "queue_lines"));
		return true;
	}
	return false;
}

bool
tally_status_healthy(const struct tally_status_src *src, struct json_object *doc, char *why,
                     size_t len)
{
	int64_t now = tally_mono_ms();
	int64_t since = src->last_flush_ms ? src->last_flush_ms : src->started_ms;
	int64_t allowed = 2 * (int64_t)src->flush_interval_s * 1000 + 5000;
	struct json_object *outs;

	if (src->stopping) {
		snprintf(why, len, "the agent is stopping");
		return false;
	}
	if (now - since > allowed) {
		snprintf(why, len, "no flush for %lld ms (flush_interval %u s)",
		         (long long)(now - since), src->flush_interval_s);
		return false;
	}
	if (json_object_object_get_ex(doc, "outputs", &outs)) {
		for (size_t i = 0; i < json_object_array_length(outs); i++) {
			if (output_dead(json_object_array_get_idx(outs, i), why, len))
				return false;
		}
	}
	snprintf(why, len, "ok");
	return true;
}
