/*
 * The Graphite output against a real TCP listener on loopback, driven by a real event loop:
 * delivery, a listener that appears late (queued lines arrive once), drain at shutdown, and
 * with a disk spool: overflow and shutdown leftovers written, then sent by the next output.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "batch.h"
#include "clock.h"
#include "config.h"
#include "out_graphite.h"
#include "output.h"

/* A non-blocking listener on 127.0.0.1:port (0 picks one); returns the fd, sets *port. */
static int
listen_on(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)*port) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Runs the loop until want bytes arrived through lfd (accepting as needed) or timeout_ms. */
static size_t
receive(struct event_base *base, int lfd, char *buf, size_t want, int timeout_ms)
{
	int64_t deadline = tally_mono_ms() + timeout_ms;
	size_t got = 0;
	int cfd = -1;

	while (got < want && tally_mono_ms() < deadline) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (cfd < 0)
			cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (cfd >= 0) {
			ssize_t n = recv(cfd, buf + got, want - got, 0);

			if (n > 0)
				got += (size_t)n;
		}
		usleep(2000);
	}
	if (cfd >= 0)
		close(cfd);
	return got;
}

static struct tally_batch *
two_series(void)
{
	const char *tags[] = { "env:prod", "flag" };
	struct tally_batch *b = tally_batch_new(1700000010);

	tally_batch_add_series(b, "app.hits", "h1", tags, 2, TALLY_SERIES_RATE, 1700000000, 0.5,
	                       10);
	tally_batch_add_series(b, "app temp", "", NULL, 0, TALLY_SERIES_GAUGE, 1700000000, 21.5,
	                       10);
	return b;
}

static const char two_lines[] = "app.hits;host=h1;env=prod;flag=true 0.5 1700000000\n"
                                "app_temp 21.5 1700000000\n";

static struct tally_config cfg = {
	.forwarder_retry_queue_max_size = 1 << 20,
	.forwarder_timeout = 5,
};

static struct tally_output *
make_output_cfg(struct event_base *base, int port, const struct tally_config *c)
{
	struct tally_output_conf oc = { .type = (char *)"graphite" };
	char addr[64], err[256];
	struct tally_output *out;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	oc.address = addr;
	out = tally_out_graphite_new(&oc, c, base, err, sizeof(err));
	assert_non_null(out);
	assert_string_equal(out->ops->type, "graphite");
	return out;
}

static struct tally_output *
make_output(struct event_base *base, int port)
{
	return make_output_cfg(base, port, &cfg);
}

static double
stat_value(struct tally_batch *b, const char *name, const char *tag)
{
	for (size_t i = 0; i < b->n_series; i++) {
		const struct tally_series *s = &b->series[i];

		if (strcmp(s->name, name) != 0)
			continue;
		for (size_t t = 0; t < s->n_tags; t++) {
			if (!tag || strcmp(s->tags[t], tag) == 0)
				return s->value;
		}
	}
	return -1;
}

static void
test_delivers_lines(void **state)
{
	struct event_base *base = event_base_new();
	int port = 0, lfd = listen_on(&port);
	struct tally_output *out = make_output(base, port);
	struct tally_batch *b = two_series(), *st = tally_batch_new(0);
	char buf[256] = { 0 };

	out->ops->submit(out, b);
	assert_int_equal(receive(base, lfd, buf, strlen(two_lines), 5000), strlen(two_lines));
	assert_string_equal(buf, two_lines);
	event_base_loop(base, EVLOOP_NONBLOCK);
	out->ops->stats(out, st, 100, 10, "h1");
	assert_true(stat_value(st, "tally.forwarder.sent", NULL) == 2);
	assert_true(stat_value(st, "tally.forwarder.sent_bytes", NULL) == strlen(two_lines));
	assert_true(stat_value(st, "tally.forwarder.queue_bytes", NULL) == 0);
	assert_true(stat_value(st, "tally.forwarder.dropped", "reason:queue_full") == 0);
	assert_string_equal(st->series[0].tags[0], "output:graphite");
	out->ops->free(out);
	tally_batch_unref(b);
	tally_batch_unref(st);
	close(lfd);
	event_base_free(base);
}

static void
test_lines_wait_for_a_late_listener(void **state)
{
	struct event_base *base = event_base_new();
	int port = 0, lfd = listen_on(&port);
	struct tally_output *out;
	struct tally_batch *b = two_series();
	struct json_object *status;
	char buf[256] = { 0 };

	close(lfd); /* nothing listens there now */
	out = make_output(base, port);
	out->ops->submit(out, b);
	for (int64_t end = tally_mono_ms() + 300; tally_mono_ms() < end;)
		event_base_loop(base, EVLOOP_NONBLOCK);
	status = out->ops->status(out);
	assert_false(json_object_get_boolean(json_object_object_get(status, "connected")));
	assert_int_equal(json_object_get_int(json_object_object_get(status, "queue_lines")), 2);
	json_object_put(status);
	lfd = listen_on(&port);
	/* The first retry comes 0.5 to 1 s after the first failure. */
	assert_int_equal(receive(base, lfd, buf, sizeof(buf) - 1, 2500), strlen(two_lines));
	assert_string_equal(buf, two_lines);
	out->ops->free(out);
	tally_batch_unref(b);
	close(lfd);
	event_base_free(base);
}

static void
test_drain_stops_at_the_deadline(void **state)
{
	struct event_base *base = event_base_new();
	int port = 0, lfd = listen_on(&port);
	struct tally_output *out;
	struct tally_batch *b = two_series();
	struct json_object *status, *dropped;
	int64_t start;

	close(lfd);
	out = make_output(base, port);
	out->ops->submit(out, b);
	start = tally_mono_ms();
	out->ops->drain(out, base, start + 400);
	assert_true(tally_mono_ms() - start >= 390 && tally_mono_ms() - start < 1000);
	status = out->ops->status(out);
	dropped = json_object_object_get(status, "dropped");
	assert_int_equal(json_object_get_int(json_object_object_get(dropped, "shutdown")), 2);
	assert_true(json_object_get_int(json_object_object_get(status, "retried")) >= 1);
	json_object_put(status);
	out->ops->free(out);
	tally_batch_unref(b);
	event_base_free(base);
}

static void
test_drain_delivers_what_is_queued(void **state)
{
	struct event_base *base = event_base_new();
	int port = 0, lfd = listen_on(&port);
	struct tally_output *out = make_output(base, port);
	struct tally_batch *b = two_series();
	char buf[256] = { 0 };
	int cfd = -1;
	ssize_t n;

	out->ops->submit(out, b);
	out->ops->drain(out, base, tally_mono_ms() + 3000);
	/* Closing after a drain still delivers what the kernel holds. */
	out->ops->free(out);
	event_base_free(base); /* runs the bufferevent's finalizer, which closes the socket */
	for (int64_t end = tally_mono_ms() + 1000; cfd < 0 && tally_mono_ms() < end;)
		cfd = accept4(lfd, NULL, NULL, 0);
	assert_true(cfd >= 0);
	n = recv(cfd, buf, sizeof(buf) - 1, MSG_WAITALL);
	assert_int_equal(n, (ssize_t)strlen(two_lines));
	assert_string_equal(buf, two_lines);
	tally_batch_unref(b);
	close(cfd);
	close(lfd);
}

static int
count_spool_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strstr(de->d_name, "-lines-") != NULL;
	closedir(d);
	return n;
}

static int64_t
status_int(struct tally_output *out, const char *group, const char *key)
{
	struct json_object *st = out->ops->status(out), *o = st;
	int64_t v;

	if (group)
		o = json_object_object_get(st, group);
	v = json_object_get_int64(json_object_object_get(o, key));
	json_object_put(st);
	return v;
}

static void
test_spool_keeps_overflow_and_leftovers_for_the_next_start(void **state)
{
	char root[] = "/tmp/tally-graphite-spool-XXXXXX", dir[256], buf[256] = { 0 };
	struct event_base *base = event_base_new();
	int port = 0, lfd = listen_on(&port);
	struct tally_config small = cfg, big = cfg;
	struct tally_batch *b = two_series(), *st = tally_batch_new(0);
	struct tally_output *out;

	assert_non_null(mkdtemp(root));
	small.forwarder_storage_path = big.forwarder_storage_path = root;
	small.forwarder_retry_queue_max_size = 60; /* the two lines take 77 bytes */
	snprintf(dir, sizeof(dir), "%s/graphite-127.0.0.1_%d", root, port);
	close(lfd); /* nothing listens */
	out = make_output_cfg(base, port, &small);
	out->ops->submit(out, b); /* the first line overflows to disk */
	assert_int_equal(status_int(out, NULL, "queue_lines"), 1);
	assert_int_equal(status_int(out, NULL, "spooled"), 1);
	out->ops->drain(out, base, tally_mono_ms() + 300); /* the second one at the deadline */
	assert_int_equal(status_int(out, NULL, "spooled"), 2);
	assert_int_equal(status_int(out, "dropped", "shutdown"), 0);
	assert_int_equal(status_int(out, "dropped", "queue_full"), 0);
	out->ops->stats(out, st, 100, 10, "h1");
	assert_true(stat_value(st, "tally.forwarder.spooled", NULL) == 2);
	out->ops->free(out);
	assert_int_equal(count_spool_files(dir), 2);

	lfd = listen_on(&port);
	out = make_output_cfg(base, port, &big);
	assert_int_equal(count_spool_files(dir), 0); /* queued, in order */
	assert_int_equal(receive(base, lfd, buf, sizeof(buf) - 1, 3000), strlen(two_lines));
	assert_string_equal(buf, two_lines);
	out->ops->free(out);
	tally_batch_unref(b);
	tally_batch_unref(st);
	close(lfd);
	event_base_free(base);
	rmdir(dir);
	rmdir(root);
}

static void
test_bad_address_is_refused(void **state)
{
	struct tally_output_conf oc = { .type = (char *)"graphite", .address = (char *)"a:b:c" };
	char err[256] = "";

	assert_null(tally_out_graphite_new(&oc, &cfg, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "a:b:c"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivers_lines),
		cmocka_unit_test(test_lines_wait_for_a_late_listener),
		cmocka_unit_test(test_drain_stops_at_the_deadline),
		cmocka_unit_test(test_drain_delivers_what_is_queued),
		cmocka_unit_test(test_spool_keeps_overflow_and_leftovers_for_the_next_start),
		cmocka_unit_test(test_bad_address_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
