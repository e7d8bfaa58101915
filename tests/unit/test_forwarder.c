/*
 * The forwarder engine against a real HTTP server (libevent's evhttp) on the same loop:
 * delivery, per-endpoint isolation, drops, retry, overflow, drain to the spool and resend
 * after a "restart", spool files too old to send dropped at start, and a hanging server cut
 * off by the drain deadline.
 */
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "batch.h"
#include "clock.h"
#include "evloop_testutil.h"
#include "forwarder.h"
#include "fwd_queue.h"
#include "fwd_spool.h"
#include "xmem.h"

#define MAX_SEEN 256

struct server {
	struct event_base *base;
	struct evhttp *http;
	int port;
	int status_series, status_checks; /* what to answer; 0 = hang */
	char seen[MAX_SEEN][64];          /* bodies received, in order */
	char key[MAX_SEEN][64];
	char enc[MAX_SEEN][32];
	size_t n_seen, n_checks_seen;
	struct evhttp_request *hung;
};

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *uri = evhttp_request_get_uri(req);
	bool checks = strstr(uri, "check_run") != NULL;
	int status = checks ? s->status_checks : s->status_series;
	size_t len = evbuffer_get_length(in);

	if (checks) {
		s->n_checks_seen++;
	} else if (s->n_seen < MAX_SEEN) {
		if (len >= sizeof(s->seen[0]))
			len = sizeof(s->seen[0]) - 1;
		evbuffer_copyout(in, s->seen[s->n_seen], len);
		s->seen[s->n_seen][len] = '\0';
		snprintf(s->key[s->n_seen], 64, "%s",
		         evhttp_find_header(h, "DD-API-KEY") ? evhttp_find_header(h, "DD-API-KEY")
		                                             : "");
		snprintf(s->enc[s->n_seen], 32, "%s",
		         evhttp_find_header(h, "Content-Encoding")
		             ? evhttp_find_header(h, "Content-Encoding")
		             : "");
		s->n_seen++;
	}
	if (status == 0) {
		s->hung = req;
		return;
	}
	evhttp_send_reply(req, status, "x", NULL);
}

static void
server_start(struct server *s, struct event_base *base, int port)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->base = base;
	s->status_series = s->status_checks = 202;
	s->http = evhttp_new(base);
	evhttp_set_gencb(s->http, on_request, s);
	bs = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", (ev_uint16_t)port);
	assert_non_null(bs);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &sl);
	s->port = ntohs(sin.sin_port);
}

static void
server_stop(struct server *s)
{
	if (s->http)
		evhttp_free(s->http);
	s->http = NULL;
}

static struct tally_fwd_payload *
mk(const char *path, const char *body)
{
	size_t len = strlen(body);
	unsigned char *b = tally_xmalloc(len + 1);

	memcpy(b, body, len);
	return tally_fwd_payload_new(path, "application/json", "deflate", b, len);
}

static const char *const endpoints[] = { "series", "check_run" };
static const char *const headers[] = { "DD-API-KEY: secretkey12345" };

static struct tally_fwd *
fwd_for(struct event_base *base, int port, const char *spool, size_t queue_max)
{
	char url[64], err[256];
	struct tally_fwd *f;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/dd", port);
	f = tally_fwd_new(base,
	                  &(struct tally_fwd_opts){ .id = "datadog",
	                                            .base_url = url,
	                                            .endpoints = endpoints,
	                                            .n_endpoints = 2,
	                                            .headers = headers,
	                                            .n_headers = 1,
	                                            .key_hint = "***12345",
	                                            .queue_max_bytes = queue_max,
	                                            .storage_path = spool,
	                                            .storage_max_bytes = 1 << 20,
	                                            .timeout_ms = 2000 },
	                  err, sizeof(err));
	assert_non_null(f);
	return f;
}

/* Reads endpoint ep's field from the status object (dropped.<reason> when reason set). */
static int64_t
status_of(const struct tally_fwd *f, int ep, const char *field, const char *reason)
{
	struct json_object *st = tally_fwd_status(f), *eps, *e, *v = NULL;
	int64_t out;

	json_object_object_get_ex(st, "endpoints", &eps);
	e = json_object_array_get_idx(eps, (size_t)ep);
	json_object_object_get_ex(e, field, &v);
	if (reason && !json_object_object_get_ex(v, reason, &v))
		v = NULL;
	out = v ? json_object_get_int64(v) : 0;
	json_object_put(st);
	return out;
}

static void
test_delivers_in_order_with_headers(void **state)
{
	struct event_base *base = event_base_new();
	struct server s;
	struct tally_fwd *f;

	server_start(&s, base, 0);
	f = fwd_for(base, s.port, NULL, 1 << 20);
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "one"));
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "two"));
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "three"));
	assert_true(evt_run_until(base, &s.n_seen, 3, 5000));
	assert_string_equal(s.seen[0], "one");
	assert_string_equal(s.seen[2], "three");
	assert_string_equal(s.key[0], "secretkey12345");
	assert_string_equal(s.enc[1], "deflate");
	evt_run_until(base, &s.n_seen, 99, 100);
	assert_int_equal(status_of(f, 0, "sent", NULL), 3);
	assert_int_equal(status_of(f, 0, "queue_bytes", NULL), 0);
	tally_fwd_free(f);
	server_stop(&s);
	event_base_free(base);
}

/* check_run answers 404 (VictoriaMetrics' way): series must keep flowing meanwhile. */
static void
test_endpoints_are_independent(void **state)
{
	struct event_base *base = event_base_new();
	struct server s;
	struct tally_fwd *f;

	server_start(&s, base, 0);
	s.status_checks = 404;
	f = fwd_for(base, s.port, NULL, 1 << 20);
	tally_fwd_enqueue(f, 1, mk("/api/v1/check_run", "[]"));
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "s1"));
	assert_true(evt_run_until(base, &s.n_checks_seen, 1, 5000));
	assert_true(evt_run_until(base, &s.n_seen, 1, 5000));
	tally_fwd_enqueue(f, 1, mk("/api/v1/check_run", "[]"));
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "s2"));
	assert_true(evt_run_until(base, &s.n_seen, 2, 1000));
	evt_run_until(base, &s.n_seen, 99, 100);
	assert_int_equal(s.n_checks_seen, 1); /* blocked for its backoff */
	assert_int_equal(status_of(f, 1, "retried", NULL), 1);
	assert_int_equal(status_of(f, 1, "queue_payloads", NULL), 2);
	assert_int_equal(status_of(f, 0, "sent", NULL), 2);
	tally_fwd_free(f);
	server_stop(&s);
	event_base_free(base);
}

static void
test_drops_are_counted_by_reason(void **state)
{
	struct event_base *base = event_base_new();
	struct server s;
	struct tally_fwd *f;
	struct tally_batch *b = tally_batch_new(0);
	const char *tags[] = { "team:x" };
	bool found = false;

	server_start(&s, base, 0);
	f = fwd_for(base, s.port, NULL, 1 << 20);
	s.status_series = 400;
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "bad"));
	assert_true(evt_run_until(base, &s.n_seen, 1, 5000));
	evt_run_until(base, &s.n_seen, 99, 100);
	s.status_series = 403;
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "k1"));
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "k2"));
	assert_true(evt_run_until(base, &s.n_seen, 3, 5000));
	evt_run_until(base, &s.n_seen, 99, 100);
	assert_int_equal(status_of(f, 0, "dropped", "http_400"), 1);
	assert_int_equal(status_of(f, 0, "dropped", "http_403"), 2);
	assert_int_equal(status_of(f, 0, "retried", NULL), 0);
	assert_int_equal(status_of(f, 0, "errors", NULL), 0); /* the intake is alive */
	tally_fwd_count_drop(f, 0, TALLY_DROP_TOO_BIG, 5);

	tally_fwd_stats(f, b, 100, 10, "h", tags, 1);
	for (size_t i = 0; i < b->n_series; i++) {
		const struct tally_series *x = &b->series[i];

		if (strcmp(x->name, "tally.forwarder.dropped") || x->n_tags != 4 ||
		    strcmp(x->tags[2], "reason:too_big"))
			continue;
		assert_string_equal(x->tags[0], "endpoint:series");
		assert_string_equal(x->tags[1], "output:datadog");
		assert_string_equal(x->tags[3], "team:x");
		assert_true(x->value == 5);
		assert_int_equal(x->kind, TALLY_SERIES_COUNT);
		found = true;
	}
	assert_true(found);
	tally_batch_unref(b);
	/* the next interval reports deltas: nothing new, zero */
	b = tally_batch_new(0);
	tally_fwd_stats(f, b, 110, 10, "h", NULL, 0);
	for (size_t i = 0; i < b->n_series; i++) {
		if (strncmp(b->series[i].name, "tally.forwarder.", 16) == 0 &&
		    b->series[i].kind == TALLY_SERIES_COUNT)
			assert_true(b->series[i].value == 0);
	}
	tally_batch_unref(b);
	tally_fwd_free(f);
	server_stop(&s);
	event_base_free(base);
}

static void
test_retry_then_delivered(void **state)
{
	struct event_base *base = event_base_new();
	struct server s;
	struct tally_fwd *f;

	server_start(&s, base, 0);
	s.status_series = 503;
	f = fwd_for(base, s.port, NULL, 1 << 20);
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "again"));
	assert_true(evt_run_until(base, &s.n_seen, 1, 5000));
	s.status_series = 202;
	/* first backoff is 2-4 s */
	assert_true(evt_run_until(base, &s.n_seen, 2, 6000));
	assert_string_equal(s.seen[1], "again");
	evt_run_until(base, &s.n_seen, 99, 100);
	assert_int_equal(status_of(f, 0, "sent", NULL), 1);
	assert_int_equal(status_of(f, 0, "retried", NULL), 1);
	tally_fwd_free(f);
	server_stop(&s);
	event_base_free(base);
}

static void
test_overflow_without_spool_drops_oldest(void **state)
{
	struct event_base *base = event_base_new();
	struct tally_fwd *f = fwd_for(base, 1, NULL, 10); /* port 1: refused */

	for (int i = 0; i < 6; i++)
		tally_fwd_enqueue(f, 0, mk("/api/v1/series", "1234"));
	/* 10 bytes hold two 4-byte payloads */
	assert_int_equal(status_of(f, 0, "dropped", "queue_full"), 4);
	assert_int_equal(status_of(f, 0, "queue_bytes", NULL), 8);
	tally_fwd_free(f);
	event_base_free(base);
}

static void
test_drain_spools_then_restart_resends(void **state)
{
	struct event_base *base = event_base_new();
	char dir[] = "/tmp/tally-fwd-test-XXXXXX", cmd[128];
	struct tally_fwd *f;
	struct server s;
	int port;

	assert_non_null(mkdtemp(dir));
	/* the backend is down: a bound-then-closed port refuses */
	server_start(&s, base, 0);
	port = s.port;
	server_stop(&s);
	f = fwd_for(base, port, dir, 1 << 20);
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "p1"));
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "p2"));
	tally_fwd_enqueue(f, 1, mk("/api/v1/check_run", "[c]"));
	tally_fwd_drain(f, base, tally_mono_ms() + 1500);
	assert_int_equal(status_of(f, 0, "spooled", NULL), 2);
	assert_int_equal(status_of(f, 1, "spooled", NULL), 1);
	assert_true(status_of(f, 0, "spool_bytes", NULL) > 0);
	tally_fwd_free(f);

	/* the next start, backend up: spooled payloads go out with no new submit */
	server_start(&s, base, port);
	f = fwd_for(base, port, dir, 1 << 20);
	assert_true(evt_run_until(base, &s.n_seen, 2, 5000));
	assert_true(evt_run_until(base, &s.n_checks_seen, 1, 5000));
	assert_string_equal(s.seen[0], "p1");
	assert_string_equal(s.seen[1], "p2");
	evt_run_until(base, &s.n_seen, 99, 100);
	assert_int_equal(status_of(f, 0, "spool_bytes", NULL), 0);
	tally_fwd_free(f);
	server_stop(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	event_base_free(base);
}

static void
test_outdated_spool_dropped_at_start(void **state)
{
	struct event_base *base = event_base_new();
	char dir[] = "/tmp/tally-fwd-test-XXXXXX", sub[64], path[160], err[256], cmd[128];
	struct tally_fwd_payload *p = mk("/api/v1/series", "old1");
	time_t old = time(NULL) - TALLY_SPOOL_MAX_AGE_S - 3600;
	struct timespec ts[2] = { { .tv_sec = old }, { .tv_sec = old } };
	struct tally_spool *sp;
	struct tally_fwd *f;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/datadog", dir);
	sp = tally_spool_open(sub, 1 << 20, TALLY_SPOOL_MAX_AGE_S, err, sizeof(err));
	assert_non_null(sp);
	p->next = mk("/api/v1/series", "old2");
	assert_int_equal(tally_spool_write(sp, "series", p), 0);
	snprintf(path, sizeof(path), "%s/%020" PRIu64 "-series-2.spool", sub, sp->files[0].seq);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	tally_fwd_payload_free_list(p);
	tally_spool_free(sp);

	/* 11 days later: discarded at start, never sent, counted as outdated */
	f = fwd_for(base, 9, dir, 1 << 20);
	assert_int_equal(status_of(f, 0, "dropped", "outdated"), 2);
	assert_int_equal(status_of(f, 0, "spool_bytes", NULL), 0);
	assert_int_equal(access(path, F_OK), -1);
	tally_fwd_free(f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	event_base_free(base);
}

static void
test_drain_cuts_a_hanging_request(void **state)
{
	struct event_base *base = event_base_new();
	char dir[] = "/tmp/tally-fwd-test-XXXXXX", cmd[128];
	struct tally_fwd *f;
	struct server s;
	int64_t t0;

	assert_non_null(mkdtemp(dir));
	server_start(&s, base, 0);
	s.status_series = 0; /* never answers */
	f = fwd_for(base, s.port, dir, 1 << 20);
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "stuck"));
	assert_true(evt_run_until(base, &s.n_seen, 1, 5000));
	t0 = tally_mono_ms();
	tally_fwd_drain(f, base, t0 + 500);
	assert_true(tally_mono_ms() - t0 < 1500);
	assert_int_equal(status_of(f, 0, "spooled", NULL), 1);
	/* after the drain nothing is sent any more */
	tally_fwd_enqueue(f, 0, mk("/api/v1/series", "late"));
	assert_int_equal(status_of(f, 0, "dropped", "shutdown"), 1);
	tally_fwd_free(f);
	server_stop(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivers_in_order_with_headers),
		cmocka_unit_test(test_endpoints_are_independent),
		cmocka_unit_test(test_drops_are_counted_by_reason),
		cmocka_unit_test(test_retry_then_delivered),
		cmocka_unit_test(test_overflow_without_spool_drops_oldest),
		cmocka_unit_test(test_drain_spools_then_restart_resends),
		cmocka_unit_test(test_outdated_spool_dropped_at_start),
		cmocka_unit_test(test_drain_cuts_a_hanging_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
