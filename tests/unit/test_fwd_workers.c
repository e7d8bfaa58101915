/*
 * forwarder_num_workers against a real HTTP server (libevent's evhttp) on the same loop that
 * holds every request until the test answers it: how many requests are in flight at once, the
 * queue's held bytes while they are, a failing intake probed by one request at a time, and the
 * drain cancelling every request in flight into the spool.
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "clock.h"
#include "evloop_testutil.h"
#include "forwarder.h"
#include "fwd_queue.h"
#include "xmem.h"

#define MAX_HELD 64

/* An intake that answers nothing until told: every request waits in held[]. */
struct server {
	struct evhttp *http;
	int port;
	struct evhttp_request *held[MAX_HELD];
	size_t n_held, max_held; /* now, and the most at once */
	size_t n_seen;           /* requests received */
	size_t n_answered;
};

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;

	s->n_seen++;
	assert_true(s->n_held < MAX_HELD);
	s->held[s->n_held++] = req;
	if (s->n_held > s->max_held)
		s->max_held = s->n_held;
}

static void
server_start(struct server *s, struct event_base *base)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->http = evhttp_new(base);
	evhttp_set_gencb(s->http, on_request, s);
	bs = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
	assert_non_null(bs);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &sl);
	s->port = ntohs(sin.sin_port);
}

/* Answers every held request with status, oldest first. */
static void
answer_all(struct server *s, int status)
{
	for (size_t i = 0; i < s->n_held; i++)
		evhttp_send_reply(s->held[i], status, "x", NULL);
	s->n_answered += s->n_held;
	s->n_held = 0;
}

static void
server_stop(struct server *s)
{
	answer_all(s, 503);
	evhttp_free(s->http);
}

static const char *const endpoints[] = { "series" };

static struct tally_fwd *
fwd_for(struct event_base *base, int port, unsigned workers, const char *spool)
{
	char url[64], err[256];
	struct tally_fwd *f;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	f = tally_fwd_new(base,
	                  &(struct tally_fwd_opts){ .id = "datadog",
	                                            .base_url = url,
	                                            .endpoints = endpoints,
	                                            .n_endpoints = 1,
	                                            .queue_max_bytes = 1 << 20,
	                                            .storage_path = spool,
	                                            .storage_max_bytes = 1 << 20,
	                                            .timeout_ms = 20000,
	                                            .num_workers = workers },
	                  err, sizeof(err));
	assert_non_null(f);
	return f;
}

/* Queues n payloads of 100 bytes each. */
static void
enqueue(struct tally_fwd *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned char *b = tally_xmalloc(100);

		memset(b, 'a' + (int)(i % 26), 100);
		tally_fwd_enqueue(
		    f, 0,
		    tally_fwd_payload_new("/api/v1/series", "application/json", NULL, b, 100));
	}
}

static int64_t
status_of(const struct tally_fwd *f, const char *field)
{
	struct json_object *st = tally_fwd_status(f), *eps, *v = NULL;
	int64_t out;

	json_object_object_get_ex(st, "endpoints", &eps);
	json_object_object_get_ex(json_object_array_get_idx(eps, 0), field, &v);
	out = v ? json_object_get_int64(v) : -1;
	json_object_put(st);
	return out;
}

/* Sends 10 payloads with `workers`; returns the most requests the server held at once. */
static size_t
max_in_flight(unsigned workers, unsigned want)
{
	struct event_base *base = event_base_new();
	struct server s;
	struct tally_fwd *f;
	size_t max;

	server_start(&s, base);
	f = fwd_for(base, s.port, workers, NULL);
	enqueue(f, 10);
	assert_true(evt_run_until(base, &s.n_held, want, 5000));
	/* nothing more starts while every worker waits */
	evt_run_until(base, &s.n_held, 0, 200);
	assert_int_equal(s.n_held, want);
	assert_int_equal(status_of(f, "requests_in_flight"), want);
	/* every payload in flight still counts in the queue's bytes */
	assert_int_equal(status_of(f, "queue_bytes"), 1000);
	assert_int_equal(status_of(f, "queue_payloads"), 10 - want);
	while (s.n_answered < 10) {
		size_t next;

		answer_all(&s, 202);
		next = 10 - s.n_answered < want ? 10 - s.n_answered : want;
		if (next)
			assert_true(evt_run_until(base, &s.n_held, next, 2000));
	}
	evt_run_until(base, &s.n_held, 0, 200); /* the last answers land */
	assert_int_equal(status_of(f, "sent"), 10);
	assert_int_equal(s.n_seen, 10); /* each exactly once */
	assert_int_equal(status_of(f, "queue_bytes"), 0);
	assert_int_equal(status_of(f, "requests_in_flight"), 0);
	max = s.max_held;
	tally_fwd_free(f);
	server_stop(&s);
	event_base_free(base);
	return max;
}

static void
test_default_is_one_request_at_a_time(void **state)
{
	assert_int_equal(max_in_flight(0, 1), 1);
	assert_int_equal(max_in_flight(1, 1), 1);
}

static void
test_four_workers_four_in_flight(void **state)
{
	assert_int_equal(max_in_flight(4, 4), 4);
}

/*
 * Four fail at once: all four come back to the queue, then nothing goes out during the
 * backoff, then one probe alone; its success lets four go again.
 */
static void
test_failing_intake_is_probed_by_one(void **state)
{
	struct event_base *base = event_base_new();
	struct server s;
	struct tally_fwd *f;
	int64_t t0;

	server_start(&s, base);
	f = fwd_for(base, s.port, 4, NULL);
	enqueue(f, 8);
	assert_true(evt_run_until(base, &s.n_held, 4, 5000));
	answer_all(&s, 503);
	t0 = tally_mono_ms();
	evt_run_until(base, &s.n_seen, 5, 1500); /* first backoff: 2-4 s */
	assert_int_equal(s.n_seen, 4);
	assert_int_equal(status_of(f, "retried"), 4);
	assert_int_equal(status_of(f, "queue_payloads"), 8);
	assert_int_equal(status_of(f, "requests_in_flight"), 0);
	assert_true(evt_run_until(base, &s.n_seen, 5, 5000));
	assert_true(tally_mono_ms() - t0 >= 1900);
	/* the probe is alone while it is out */
	evt_run_until(base, &s.n_seen, 0, 300);
	assert_int_equal(s.n_held, 1);
	assert_int_equal(status_of(f, "requests_in_flight"), 1);
	answer_all(&s, 202);
	assert_true(evt_run_until(base, &s.n_held, 4, 2000));
	answer_all(&s, 202);
	assert_true(evt_run_until(base, &s.n_held, 3, 2000));
	answer_all(&s, 202);
	evt_run_until(base, &s.n_held, 0, 200);
	assert_int_equal(status_of(f, "sent"), 8);
	assert_int_equal(s.n_seen, 12); /* 4 failed + 8 delivered */
	assert_int_equal(s.max_held, 4);
	tally_fwd_free(f);
	server_stop(&s);
	event_base_free(base);
}

/* SIGTERM with four requests hanging: all four are cancelled into the spool with the rest. */
static void
test_drain_spools_every_request_in_flight(void **state)
{
	struct event_base *base = event_base_new();
	char dir[] = "/tmp/tally-fwdw-test-XXXXXX", cmd[128];
	struct server s;
	struct tally_fwd *f;
	int64_t t0;

	assert_non_null(mkdtemp(dir));
	server_start(&s, base);
	f = fwd_for(base, s.port, 4, dir);
	enqueue(f, 6);
	assert_true(evt_run_until(base, &s.n_held, 4, 5000));
	t0 = tally_mono_ms();
	tally_fwd_drain(f, base, t0 + 300);
	assert_true(tally_mono_ms() - t0 < 1500);
	assert_int_equal(status_of(f, "spooled"), 6);
	assert_int_equal(status_of(f, "requests_in_flight"), 0);
	assert_int_equal(status_of(f, "queue_bytes"), 0);
	tally_fwd_free(f);
	s.n_held = 0; /* cancelled: their connections are gone, evhttp_free frees them */
	server_stop(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_one_request_at_a_time),
		cmocka_unit_test(test_four_workers_four_in_flight),
		cmocka_unit_test(test_failing_intake_is_probed_by_one),
		cmocka_unit_test(test_drain_spools_every_request_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
