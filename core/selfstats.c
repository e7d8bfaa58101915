#include "selfstats.h"

#include <stdio.h>
#include <string.h>

#include "batch.h"

/* Config tags carried by tally.* metrics; more than this is not a sensible config. */
#define MAX_SELF_TAGS 64
#define N_FIELDS      (sizeof(struct tally_rx_counters) / sizeof(uint64_t))

void
tally_selfstats_publish(struct tally_selfstats *pub, const struct tally_rx_counters *c)
{
	uint64_t raw[N_FIELDS];

	memcpy(raw, c, sizeof(raw));
	for (size_t i = 0; i < N_FIELDS; i++)
		atomic_store_explicit(&pub->v[i], raw[i], memory_order_relaxed);
}

void
tally_selfstats_read(const struct tally_selfstats *pub, struct tally_rx_counters *c)
{
	uint64_t raw[N_FIELDS];

	for (size_t i = 0; i < N_FIELDS; i++)
		raw[i] = atomic_load_explicit(&pub->v[i], memory_order_relaxed);
	memcpy(c, raw, sizeof(raw));
}

struct emit_ctx {
	struct tally_batch *b;
	int64_t ts;
	uint32_t interval_s;
	const char *host;
	const char *const *tags;
	size_t n_tags;
};

/* Emits one series with the common tags plus an optional extra "key:value" tag. */
static void
emit(const struct emit_ctx *e, const char *name, enum tally_series_kind kind, double value,
     const char *extra_tag)
{
	const char *tags[MAX_SELF_TAGS + 1];
	size_t n = 0;

	if (extra_tag)
		tags[n++] = extra_tag;
	for (size_t i = 0; i < e->n_tags && i < MAX_SELF_TAGS; i++)
		tags[n++] = e->tags[i];
	tally_batch_add_series(e->b, name, e->host, tags, n, kind, e->ts, value, e->interval_s);
}

static void
emit_delta(const struct emit_ctx *e, const char *name, uint64_t now, uint64_t prev,
           const char *extra_tag, int always)
{
	uint64_t d = now >= prev ? now - prev : now;

	if (d || always)
		emit(e, name, TALLY_SERIES_COUNT, (double)d, extra_tag);
}

static void
emit_listeners(const struct emit_ctx *e, const struct tally_rx_counters *now,
               const struct tally_rx_counters *prev)
{
	static const char *const listener_tag[TALLY_LISTENER__COUNT] = { "listener:udp",
		                                                         "listener:uds" };

	for (int i = 0; i < TALLY_LISTENER__COUNT; i++) {
		emit_delta(e, "tally.packets.received", now->packets[i], prev->packets[i],
		           listener_tag[i], i == TALLY_LISTENER_UDP);
		emit_delta(e, "tally.packets.bytes", now->bytes[i], prev->bytes[i], listener_tag[i],
		           i == TALLY_LISTENER_UDP);
	}
}

static void
emit_parse_errors(const struct emit_ctx *e, const struct tally_rx_counters *now,
                  const struct tally_rx_counters *prev)
{
	char tag[64];
	uint64_t total = 0, total_prev = 0;

	for (int i = 1; i < TALLY_PERR__COUNT; i++) {
		total += now->parse_errors[i];
		total_prev += prev->parse_errors[i];
		if (now->parse_errors[i] == prev->parse_errors[i])
			continue;
		snprintf(tag, sizeof(tag), "reason:%s", tally_parse_err_name(i));
		emit_delta(e, "tally.parse_errors", now->parse_errors[i], prev->parse_errors[i],
		           tag, 0);
	}
	emit_delta(e, "tally.parse_errors.total", total, total_prev, NULL, 1);
}

void
tally_selfstats_emit(struct tally_batch *b, const struct tally_rx_counters *now,
                     struct tally_rx_counters *prev, int64_t ts, uint32_t interval_s,
                     const char *host, const char *const *tags, size_t n_tags)
{
	const struct emit_ctx e = { b, ts, interval_s, host, tags, n_tags };

	emit_listeners(&e, now, prev);
	emit_delta(&e, "tally.metrics.received", now->metrics, prev->metrics, NULL, 1);
	emit_delta(&e, "tally.service_checks.received", now->service_checks, prev->service_checks,
	           NULL, 0);
	emit_delta(&e, "tally.events.received", now->events, prev->events, NULL, 0);
	emit_parse_errors(&e, now, prev);
	emit_delta(&e, "tally.packets.dropped", now->truncated, prev->truncated, "reason:truncated",
	           0);
	emit_delta(&e, "tally.packets.dropped", now->kernel_drops, prev->kernel_drops,
	           "reason:kernel", 1);
	emit_delta(&e, "tally.packets.dropped", now->backlog_dropped, prev->backlog_dropped,
	           "reason:backlog_full", 0);
	emit_delta(&e, "tally.contexts.dropped", now->dropped_context_limit,
	           prev->dropped_context_limit, "reason:limit", 1);
	emit_delta(&e, "tally.contexts.dropped", now->dropped_type_conflict,
	           prev->dropped_type_conflict, "reason:type_conflict", 0);
	emit(&e, "tally.contexts", TALLY_SERIES_GAUGE, (double)now->contexts, NULL);
	*prev = *now;
}
