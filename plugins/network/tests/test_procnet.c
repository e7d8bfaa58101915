/*
 * Unit tests of plugins/lib/procnet (parsers, kept-open reads, counter wrap) on fixture files
 * in plugins/network/tests/data/: a net/dev, snmp, snmp6 and netstat of this machine's kernel,
 * a 2.2 kernel's net/dev (no bytes columns), two readings around a 32-bit wrap where one
 * interface vanished and another appeared, and malformed lines.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "netns.h"
#include "procnet.h"

#ifndef FIXTURE_DIR
#error FIXTURE_DIR must name plugins/network/tests/data
#endif

static char *
slurp_fixture(const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf = malloc(1 << 20);

	snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static void
parse_dev(const char *name, struct tally_netdev_set *set)
{
	size_t len;
	char *text = slurp_fixture(name, &len);

	assert_int_equal(tally_netdev_parse(text, len, set), 0);
	free(text);
}

static void
test_dev_modern(void **unused)
{
	struct tally_netdev_set set = { 0 };
	const struct tally_netdev *d;

	(void)unused;
	parse_dev("dev", &set);
	assert_int_equal(set.n, 7);
	d = tally_netdev_find(&set, "eth0");
	assert_non_null(d);
	assert_int_equal(d->v[TALLY_NETDEV_RX_BYTES], 107554192);
	assert_int_equal(d->v[TALLY_NETDEV_RX_PACKETS], 2160);
	assert_int_equal(d->v[TALLY_NETDEV_TX_BYTES], 105072);
	assert_int_equal(d->v[TALLY_NETDEV_TX_PACKETS], 1272);
	assert_int_equal(d->have, (1u << TALLY_NETDEV_NCOLS) - 1);
	/* a name as long as the column: "docker0:       0" */
	d = tally_netdev_find(&set, "docker0");
	assert_non_null(d);
	assert_int_equal(d->v[TALLY_NETDEV_TX_BYTES], 526);
	assert_int_equal(d->v[TALLY_NETDEV_TX_DROP], 2);
	assert_non_null(tally_netdev_find(&set, "vethb56d092"));
	assert_null(tally_netdev_find(&set, "eth1"));
	tally_netdev_set_free(&set);
	assert_null(set.dev);
}

static void
test_dev_old_kernel(void **unused)
{
	struct tally_netdev_set set = { 0 };
	const struct tally_netdev *d;

	(void)unused;
	parse_dev("net_dev_old_2_2", &set);
	assert_int_equal(set.n, 2);
	d = tally_netdev_find(&set, "eth0");
	assert_non_null(d);
	/* no bytes columns: absent, not zero-that-looks-real */
	assert_false(d->have & (1u << TALLY_NETDEV_RX_BYTES));
	assert_false(d->have & (1u << TALLY_NETDEV_TX_BYTES));
	assert_int_equal(d->v[TALLY_NETDEV_RX_PACKETS], 12345);
	assert_int_equal(d->v[TALLY_NETDEV_RX_ERRS], 1);
	assert_int_equal(d->v[TALLY_NETDEV_RX_DROP], 2);
	assert_int_equal(d->v[TALLY_NETDEV_TX_PACKETS], 6789);
	assert_int_equal(d->v[TALLY_NETDEV_TX_ERRS], 3);
	assert_int_equal(d->v[TALLY_NETDEV_TX_DROP], 4);
	tally_netdev_set_free(&set);
}

static void
test_dev_glued_and_odd(void **unused)
{
	struct tally_netdev_set set = { 0 };
	const struct tally_netdev *d;

	(void)unused;
	/* "eth0:4294967000": the name touches its first number (2.4/2.6 kernels) */
	parse_dev("net_dev_wrap_a", &set);
	d = tally_netdev_find(&set, "eth0");
	assert_non_null(d);
	assert_int_equal(d->v[TALLY_NETDEV_RX_BYTES], 4294967000u);
	assert_int_equal(d->v[TALLY_NETDEV_TX_BYTES], 5000000000u);
	/* garbage and a line with a non-number skipped; a long name truncated, not overflowed */
	parse_dev("net_dev_odd", &set);
	assert_int_equal(set.n, 2);
	assert_int_equal(set.dev[0].v[TALLY_NETDEV_TX_DROP], 12);
	assert_int_equal(strlen(set.dev[1].name), TALLY_NETDEV_NAME_MAX - 1);
	tally_netdev_set_free(&set);
}

static void
test_dev_not_netdev(void **unused)
{
	struct tally_netdev_set set = { 0 };
	const char *junk = "Tcp: a b\nTcp: 1 2\n";

	(void)unused;
	assert_int_equal(tally_netdev_parse(junk, strlen(junk), &set), -EINVAL);
	assert_int_equal(tally_netdev_parse("", 0, &set), -EINVAL);
	tally_netdev_set_free(&set);
}

static void
test_wrap_and_vanish(void **unused)
{
	struct tally_netdev_set a = { 0 }, b = { 0 };
	const struct tally_netdev *pa, *pb;
	uint64_t delta;

	(void)unused;
	parse_dev("net_dev_wrap_a", &a);
	parse_dev("net_dev_wrap_b", &b);
	pa = tally_netdev_find(&a, "eth0");
	pb = tally_netdev_find(&b, "eth0");
	/* 32-bit rx_bytes wrapped: 4294967000 -> 704 is 296 + 704 bytes */
	assert_true(tally_counter_delta(pa->v[TALLY_NETDEV_RX_BYTES], pb->v[TALLY_NETDEV_RX_BYTES],
	                                &delta));
	assert_int_equal(delta, 1000);
	assert_true(tally_counter_delta(pa->v[TALLY_NETDEV_RX_PACKETS],
	                                pb->v[TALLY_NETDEV_RX_PACKETS], &delta));
	assert_int_equal(delta, 10);
	/* a 64-bit counter going down is a reset: no delta */
	assert_false(tally_counter_delta(pa->v[TALLY_NETDEV_TX_BYTES], pb->v[TALLY_NETDEV_TX_BYTES],
	                                 &delta));
	/* veth1 vanished, veth2 appeared */
	assert_null(tally_netdev_find(&b, "veth1"));
	assert_non_null(tally_netdev_find(&b, "veth2"));
	assert_null(tally_netdev_find(&a, "veth2"));
	tally_netdev_set_free(&a);
	tally_netdev_set_free(&b);
}

static void
test_counter_delta(void **unused)
{
	static const struct {
		uint64_t prev, cur;
		bool ok;
		uint64_t delta;
	} rows[] = {
		{ 5, 5, true, 0 },
		{ 5, 7, true, 2 },
		{ UINT32_MAX, 0, true, 1 },
		{ UINT32_MAX - 9, 10, true, 20 },
		{ 1000000000u, 5, false, 0 }, /* wrap of more than 2^31: a reset */
		{ 3000000000u, 5, true, 1294967301u },
		{ 100, 99, false, 0 },       /* small step back: a reset (new interface) */
		{ 1ull << 40, 5, false, 0 }, /* 64-bit counter down: a reset */
		{ 0, UINT64_MAX, true, UINT64_MAX },
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t d = 0;

		assert_int_equal(tally_counter_delta(rows[i].prev, rows[i].cur, &d), rows[i].ok);
		if (rows[i].ok)
			assert_int_equal(d, rows[i].delta);
	}
}

static void
test_proto(void **unused)
{
	struct tally_netproto p;
	size_t len;
	char *text;

	(void)unused;
	tally_netproto_reset(&p);
	text = slurp_fixture("snmp", &len);
	assert_int_equal(tally_netproto_parse_snmp(text, len, &p), 0);
	free(text);
	assert_int_equal(p.v[TALLY_NP_TCP_ACTIVE_OPENS], 13640);
	assert_int_equal(p.v[TALLY_NP_TCP_PASSIVE_OPENS], 13320);
	assert_int_equal(p.v[TALLY_NP_TCP_ATTEMPT_FAILS], 290);
	assert_int_equal(p.v[TALLY_NP_TCP_ESTAB_RESETS], 10);
	assert_int_equal(p.v[TALLY_NP_TCP_IN_SEGS], 146935);
	assert_int_equal(p.v[TALLY_NP_TCP_OUT_SEGS], 146041);
	assert_int_equal(p.v[TALLY_NP_TCP_OUT_RSTS], 314);
	assert_int_equal(p.v[TALLY_NP_UDP_IN_DATAGRAMS], 2294);
	assert_int_equal(p.v[TALLY_NP_UDP_OUT_DATAGRAMS], 2297);
	assert_true(p.have & (1ull << TALLY_NP_UDP_RCVBUF_ERRORS));
	/* UdpLite's same-named fields are not Udp's */
	assert_false(p.have & (1ull << TALLY_NP_UDP6_IN_DATAGRAMS));

	text = slurp_fixture("netstat", &len);
	assert_int_equal(tally_netproto_parse_snmp(text, len, &p), 0);
	free(text);
	assert_int_equal(p.v[TALLY_NP_TCPEXT_LISTEN_OVERFLOWS], 17);
	assert_int_equal(p.v[TALLY_NP_TCPEXT_LISTEN_DROPS], 19);

	text = slurp_fixture("snmp6", &len);
	assert_int_equal(tally_netproto_parse_snmp6(text, len, &p), 0);
	free(text);
	assert_int_equal(p.v[TALLY_NP_UDP6_IN_DATAGRAMS], 7);
	assert_int_equal(p.v[TALLY_NP_UDP6_RCVBUF_ERRORS], 3);
	assert_true(p.have & (1ull << TALLY_NP_UDP6_SNDBUF_ERRORS));
	assert_string_equal(tally_netproto_name(TALLY_NP_TCP_RETRANS_SEGS), "Tcp:RetransSegs");

	/* MaxConn -1 is no counter; a names line without values is not an snmp file */
	tally_netproto_reset(&p);
	assert_int_equal(tally_netproto_parse_snmp("Tcp: MaxConn\nTcp: -1\n", 21, &p), 0);
	assert_int_equal(p.have, 0);
	assert_int_equal(tally_netproto_parse_snmp("Tcp: a\nUdp: 1\n", 14, &p), -EINVAL);
}

/*
 * Every prefix of every fixture (a read cut short anywhere) and every single-byte corruption
 * of net/dev parse without reading past the end (run under --enable-sanitizers) and never
 * report more interfaces than the whole file has.
 */
static void
test_truncated_and_corrupt(void **unused)
{
	static const char *const files[] = { "dev",  "net_dev_old_2_2", "net_dev_odd",
		                             "snmp", "snmp6",           "netstat" };
	struct tally_netdev_set set = { 0 };
	struct tally_netproto p;

	(void)unused;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *text = slurp_fixture(files[f], &len);

		for (size_t cut = 0; cut <= len; cut++) {
			/* an exact-size heap copy, so ASan sees a read past the cut */
			char *copy = malloc(cut ? cut : 1);

			assert_non_null(copy);
			memcpy(copy, text, cut);
			(void)tally_netdev_parse(copy, cut, &set);
			assert_true(set.n <= 7);
			tally_netproto_reset(&p);
			(void)tally_netproto_parse_snmp(copy, cut, &p);
			(void)tally_netproto_parse_snmp6(copy, cut, &p);
			free(copy);
		}
		for (size_t at = 0; f == 0 && at < len; at++) {
			char saved = text[at];

			text[at] = (at % 3 == 0) ? ':' : (at % 3 == 1) ? '|' : '\n';
			(void)tally_netdev_parse(text, len, &set);
			text[at] = saved;
		}
		free(text);
	}
	tally_netdev_set_free(&set);
}

/* The kept-open path over the fixture folder, re-read twice, equals open-per-read. */
static void
test_read_kept_open(void **unused)
{
	struct tally_procnet pn;
	struct tally_netdev_set a = { 0 }, b = { 0 };
	struct tally_netproto pa, pb;

	(void)unused;
	tally_procnet_init(&pn);
	assert_int_equal(tally_procnet_open(&pn, FIXTURE_DIR), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(tally_procnet_read(&pn, &a, &pa), 0);
	tally_procnet_close(&pn);
	assert_int_equal(tally_procnet_read_dir(FIXTURE_DIR, &b, &pb), 0);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.dev, b.dev, a.n * sizeof(*a.dev));
	assert_memory_equal(&pa, &pb, sizeof(pa));
	assert_int_equal(pa.v[TALLY_NP_UDP6_IN_DATAGRAMS], 7);
	assert_int_equal(tally_procnet_read(&pn, &a, NULL), -EBADF);
	assert_int_equal(tally_procnet_read_dir("/nonexistent", &a, NULL), -ENOENT);
	tally_netdev_set_free(&a);
	tally_netdev_set_free(&b);
}

/* The real /proc/net of this host, kept open and through netns (SELF and pid:<self>). */
static void
test_read_real(void **unused)
{
	struct tally_netns ns;
	struct tally_netdev_set set = { 0 };
	struct tally_netproto p;
	char spec[32];

	(void)unused;
	assert_int_equal(tally_netns_init(&ns, NULL, "/proc", "/var/run/netns"), 0);
	assert_int_equal(tally_netns_read(&ns, &set, &p), 0);
	assert_non_null(tally_netdev_find(&set, "lo"));
	assert_true(p.have & (1ull << TALLY_NP_TCP_IN_SEGS));
	tally_netns_free(&ns);

	snprintf(spec, sizeof(spec), "pid:%d", (int)getpid());
	assert_int_equal(tally_netns_init(&ns, spec, "/proc", "/var/run/netns"), 0);
	assert_int_equal(tally_netns_read(&ns, &set, &p), 0);
	assert_int_equal(tally_netns_read(&ns, &set, &p), 0);
	assert_non_null(tally_netdev_find(&set, "lo"));
	tally_netns_free(&ns);

	assert_int_equal(tally_netns_init(&ns, "pid:999999999", "/proc", "/var/run/netns"), 0);
	assert_int_equal(tally_netns_read(&ns, &set, &p), -ENOENT);
	tally_netns_free(&ns);
	assert_int_equal(tally_netns_init(&ns, "no-such-ns-tally", "/proc", "/nonexistent"), 0);
	assert_int_equal(tally_netns_read(&ns, &set, &p), -ENOENT);
	tally_netns_free(&ns);
	assert_int_equal(tally_netns_init(&ns, "pid:x1", "/proc", "/var/run/netns"), -EINVAL);
	assert_int_equal(tally_netns_init(&ns, "../etc", "/proc", "/var/run/netns"), -EINVAL);
	tally_netdev_set_free(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dev_modern),
		cmocka_unit_test(test_dev_old_kernel),
		cmocka_unit_test(test_dev_glued_and_odd),
		cmocka_unit_test(test_dev_not_netdev),
		cmocka_unit_test(test_wrap_and_vanish),
		cmocka_unit_test(test_counter_delta),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_read_kept_open),
		cmocka_unit_test(test_read_real),
		cmocka_unit_test(test_truncated_and_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
