/*
 * tagger: publish, replace, forget and expire an entity's tags; a view sees a change only
 * through the generation, keeps its copy valid while the store moves on, and refuses what is
 * over the limits. Then rx_process with a view as its entity lookup: a Unix-socket origin's
 * container tags on every path, and with origin_client the |c:ci-ID field and the
 * dd.internal.entity_id tag (which is dropped), ignored without it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg.h"
#include "batch.h"
#include "parse.h"
#include "rx_process.h"
#include "tagger.h"

#define ID  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ENT "container_id://" ID

static bool
has_tag(const struct tally_slice *t, size_t n, const char *want)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].len == strlen(want) && memcmp(t[i].ptr, want, t[i].len) == 0)
			return true;
	return false;
}

static void
test_publish_replace_forget(void **state)
{
	const char *tags[] = { "container_name:web", "image_name:nginx" };
	const char *tags2[] = { "container_name:api" };
	struct tally_tagger_view *v = tally_tagger_view_new();
	const struct tally_slice *t;
	size_t n;

	(void)state;
	tally_tagger_reset();
	assert_null(tally_tagger_view_container(v, ID, 64, 100, &n));
	assert_int_equal(n, 0);
	assert_int_equal(tally_tagger_publish(ENT, tags, 2, 60, 100), 0);
	t = tally_tagger_view_container(v, ID, 64, 100, &n);
	assert_int_equal(n, 2);
	assert_true(has_tag(t, n, "container_name:web") && has_tag(t, n, "image_name:nginx"));
	t = tally_tagger_view_get(v, ENT, strlen(ENT), 100, &n);
	assert_int_equal(n, 2);
	/* replaced, not merged */
	assert_int_equal(tally_tagger_publish(ENT, tags2, 1, 60, 110), 0);
	t = tally_tagger_view_container(v, ID, 64, 110, &n);
	assert_int_equal(n, 1);
	assert_true(has_tag(t, n, "container_name:api"));
	/* expires ttl after the last publication */
	assert_non_null(tally_tagger_view_container(v, ID, 64, 169, &n));
	assert_null(tally_tagger_view_container(v, ID, 64, 170, &n));
	/* n 0 forgets */
	assert_int_equal(tally_tagger_publish(ENT, tags2, 1, 60, 120), 0);
	assert_int_equal(tally_tagger_publish(ENT, NULL, 0, 60, 120), 0);
	assert_null(tally_tagger_view_container(v, ID, 64, 120, &n));
	/* another id is another entity */
	assert_int_equal(tally_tagger_publish(ENT, tags, 2, 60, 120), 0);
	assert_null(tally_tagger_view_container(v, "ffff", 4, 120, &n));
	tally_tagger_view_free(v);
	tally_tagger_reset();
}

static void
test_views_are_private(void **state)
{
	const char *tags[] = { "a:1" };
	const char *tags2[] = { "b:2" };
	struct tally_tagger_view *v1 = tally_tagger_view_new(), *v2 = tally_tagger_view_new();
	const struct tally_slice *t1;
	size_t n;

	(void)state;
	tally_tagger_reset();
	assert_int_equal(tally_tagger_publish(ENT, tags, 1, 60, 100), 0);
	t1 = tally_tagger_view_container(v1, ID, 64, 100, &n);
	assert_int_equal(n, 1);
	/* the store moves on: v1's slices stay valid until v1's next lookup */
	assert_int_equal(tally_tagger_publish(ENT, tags2, 1, 60, 100), 0);
	assert_int_equal(t1[0].len, 3);
	assert_memory_equal(t1[0].ptr, "a:1", 3);
	assert_true(has_tag(tally_tagger_view_container(v2, ID, 64, 100, &n), n, "b:2"));
	assert_true(has_tag(tally_tagger_view_container(v1, ID, 64, 100, &n), n, "b:2"));
	tally_tagger_view_free(v1);
	tally_tagger_view_free(v2);
	tally_tagger_view_free(NULL);
	tally_tagger_reset();
}

static void
test_limits(void **state)
{
	char long_tag[TALLY_TAGGER_MAX_TAG_LEN + 2], ent[64];
	const char *bad[] = { long_tag };
	const char *empty[] = { "" };
	const char *ok[] = { "a:1" };
	const char *many[TALLY_TAGGER_MAX_TAGS + 5];
	struct tally_tagger_view *v = tally_tagger_view_new();
	size_t n;
	int rc = 0;

	(void)state;
	tally_tagger_reset();
	memset(long_tag, 'x', sizeof(long_tag) - 1);
	long_tag[sizeof(long_tag) - 1] = '\0';
	assert_int_equal(tally_tagger_publish(ENT, bad, 1, 60, 100), -EINVAL);
	assert_int_equal(tally_tagger_publish(ENT, empty, 1, 60, 100), -EINVAL);
	assert_int_equal(tally_tagger_publish("", ok, 1, 60, 100), -EINVAL);
	for (size_t i = 0; i < TALLY_TAGGER_MAX_TAGS + 5; i++)
		many[i] = "k:v";
	assert_int_equal(tally_tagger_publish(ENT, many, TALLY_TAGGER_MAX_TAGS + 5, 60, 100), 0);
	tally_tagger_view_container(v, ID, 64, 100, &n);
	assert_int_equal(n, TALLY_TAGGER_MAX_TAGS);
	for (int i = 0; i < TALLY_TAGGER_MAX_ENTITY + 10 && rc == 0; i++) {
		snprintf(ent, sizeof(ent), "container_id://%d", i);
		rc = tally_tagger_publish(ent, ok, 1, 60, 100);
	}
	assert_int_equal(rc, -ENOSPC);
	/* expired entries make room again */
	assert_int_equal(tally_tagger_publish("container_id://new", ok, 1, 60, 1000), 0);
	tally_tagger_view_free(v);
	tally_tagger_reset();
}

/* ---- the receive path ---- */

struct rig {
	struct tally_rx_ctx ctx;
	struct tally_rx_counters counters;
	struct tally_tagger_view *view;
};

static const struct tally_slice *
lookup(void *arg, const char *id, size_t len, int64_t now_s, size_t *n)
{
	return tally_tagger_view_container(arg, id, len, now_s, n);
}

static struct rig *
rig_new(void)
{
	struct tally_agg_opts o = {
		.interval_s = 10,
		.expiry_s = 300,
		.context_expiry_s = 300,
		.context_limit = 1000,
		.hist_aggregates = TALLY_HAGG_DEFAULT,
		.default_host = "h",
	};
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->view = tally_tagger_view_new();
	r->ctx.parser = tally_parser_new(8192);
	r->ctx.agg = tally_agg_new(&o);
	r->ctx.pending = tally_batch_new(0);
	r->ctx.tag_scratch =
	    calloc(8192 / 2 + 2 + TALLY_RX_ENTITY_TAGS, sizeof(struct tally_slice));
	r->ctx.counters = &r->counters;
	r->ctx.default_host = "h";
	r->ctx.now_s = 105;
	r->ctx.entity_lookup = lookup;
	r->ctx.entity_arg = r->view;
	return r;
}

static void
rig_free(struct rig *r)
{
	tally_parser_free(r->ctx.parser);
	tally_agg_free(r->ctx.agg);
	tally_batch_unref(r->ctx.pending);
	free(r->ctx.tag_scratch);
	tally_tagger_view_free(r->view);
	free(r);
}

static void
send(struct rig *r, const char *text)
{
	char *buf = strdup(text);

	assert_non_null(buf);
	tally_rx_process(&r->ctx, TALLY_LISTENER_UDS, buf, strlen(buf), false);
	free(buf);
}

/* The series named name, or NULL. */
static const struct tally_series *
series(const struct tally_batch *b, const char *name)
{
	for (size_t i = 0; i < b->n_series; i++)
		if (strcmp(b->series[i].name, name) == 0)
			return &b->series[i];
	return NULL;
}

static bool
series_has(const struct tally_series *s, const char *tag)
{
	for (size_t i = 0; s && i < s->n_tags; i++)
		if (strcmp(s->tags[i], tag) == 0)
			return true;
	return false;
}

static bool
series_has_prefix(const struct tally_series *s, const char *prefix)
{
	for (size_t i = 0; s && i < s->n_tags; i++)
		if (strncmp(s->tags[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static struct tally_batch *
flush(struct rig *r)
{
	struct tally_batch *b = tally_batch_new(110);

	tally_agg_flush(r->ctx.agg, 100, 110, b);
	return b;
}

static void
test_rx_origin_gets_entity_tags(void **state)
{
	const char *tags[] = { "container_name:web", "team:core" };
	struct rig *r = rig_new();
	struct tally_batch *b;
	const char *names[] = { "a.c", "a.new", "a.set", "a.pk", "a.ts" };

	(void)state;
	tally_tagger_reset();
	assert_int_equal(tally_tagger_publish(ENT, tags, 2, 60, 100), 0);
	tally_rx_set_origin(&r->ctx, "container_id:" ID);
	assert_int_equal(r->ctx.n_origin_extra, 2);
	/* keyed, re-parsed, set, packed, timestamped */
	send(r, "a.c:1|c|#x:1\na.new:2|c\na.set:u|s\na.pk:1:2|g\na.ts:3|g|T50\na.c:1|c|#x:1\n");
	send(r, "_sc|chk|0\n");
	tally_rx_set_origin(&r->ctx, NULL);
	assert_int_equal(r->ctx.n_origin_extra, 0);
	send(r, "a.plain:1|c\n");
	b = flush(r);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct tally_series *s = series(b, names[i]);

		assert_non_null(s);
		assert_true(series_has(s, "container_id:" ID));
		assert_true(series_has(s, "container_name:web"));
		assert_true(series_has(s, "team:core"));
	}
	assert_true(series_has(series(b, "a.c"), "x:1"));
	assert_int_equal(series(b, "a.c")->value, 0.2); /* 2 per 10 s */
	assert_false(series_has(series(b, "a.plain"), "container_name:web"));
	tally_batch_unref(b);
	assert_int_equal(r->ctx.pending->n_checks, 1);
	assert_int_equal(r->ctx.pending->checks[0].n_tags, 3);
	rig_free(r);
	tally_tagger_reset();
}

static void
test_rx_client_origin(void **state)
{
	const char *tags[] = { "container_name:web" };
	struct rig *r = rig_new();
	struct tally_batch *b;
	const struct tally_series *s;

	(void)state;
	tally_tagger_reset();
	assert_int_equal(tally_tagger_publish(ENT, tags, 1, 60, 100), 0);
	/* off: the field and the tag are only what they are */
	send(r, "off.c:1|c|c:ci-" ID "\noff.e:1|c|#dd.internal.entity_id:" ID "\n");
	r->ctx.origin_client = true;
	send(r, "on.c:1|c|c:ci-" ID "\non.e:1|c|#k:v,dd.internal.entity_id:" ID "\n");
	send(r, "on.unknown:1|c|c:ci-ffff\non.none:1|c\n");
	b = flush(r);
	assert_false(series_has(series(b, "off.c"), "container_name:web"));
	assert_true(series_has_prefix(series(b, "off.e"), "dd.internal.entity_id:"));
	s = series(b, "on.c");
	assert_true(series_has(s, "container_name:web") && series_has(s, "container_id:" ID));
	s = series(b, "on.e");
	assert_true(series_has(s, "container_name:web") && series_has(s, "k:v"));
	assert_false(series_has_prefix(s, "dd.internal.entity_id:"));
	s = series(b, "on.unknown");
	assert_true(series_has(s, "container_id:ffff"));
	assert_false(series_has(s, "container_name:web"));
	assert_int_equal(series(b, "on.none")->n_tags, 0);
	tally_batch_unref(b);
	rig_free(r);
	tally_tagger_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_replace_forget),
		cmocka_unit_test(test_views_are_private),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_rx_origin_gets_entity_tags),
		cmocka_unit_test(test_rx_client_origin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
