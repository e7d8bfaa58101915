/*
 * Unit tests of the network check's per-namespace run (target.c) into a recording sink, on a
 * temp procfs_root whose net/ files are rewritten between runs (in place: the check keeps
 * them open): first run a baseline, then rates; a 32-bit wrap gives its true increase, a
 * 64-bit counter going down gives nothing, a vanished or new interface gives nothing, lo is
 * excluded, UDP adds IPv4 and IPv6. Rates are compared as ratios, so no timing is asserted.
 */
#include <sys/stat.h>

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

#include "target.h"

#define MAX_RECS 512

struct rec {
	char name[64], tags[128];
	double value;
};

static struct rec recs[MAX_RECS];
static size_t n_recs;

static int
rec_gauge(struct tally_check_ctx *ctx, const char *name, double value, const char *const *tags,
          size_t n_tags)
{
	struct rec *r = &recs[n_recs < MAX_RECS ? n_recs++ : MAX_RECS - 1];

	(void)ctx;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->tags[0] = '\0';
	for (size_t i = 0; i < n_tags; i++) {
		strncat(r->tags, tags[i], sizeof(r->tags) - strlen(r->tags) - 2);
		strcat(r->tags, ",");
	}
	r->value = value;
	return 0;
}

static void
rec_log(struct tally_check_ctx *ctx, enum tally_check_log_level level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

static const struct tally_check_ops ops = {
	.abi_version = TALLY_CHECK_ABI_VERSION,
	.struct_size = sizeof(struct tally_check_ops),
	.gauge = rec_gauge,
	.log = rec_log,
};

/* The value of name with exactly these tags ("device:eth0," or ""); -1 when absent. */
static double
value(const char *name, const char *tags)
{
	for (size_t i = 0; i < n_recs; i++) {
		if (strcmp(recs[i].name, name) == 0 && strcmp(recs[i].tags, tags) == 0)
			return recs[i].value;
	}
	return -1;
}

static size_t
count_named(const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < n_recs; i++)
		n += strcmp(recs[i].name, name) == 0;
	return n;
}

static char root[64];

static void
put(const char *name, const char *fixture, const char *replace, const char *with)
{
	char path[256], text[65536];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, fixture);
	f = fopen(path, "r");
	assert_non_null(f);
	len = fread(text, 1, sizeof(text) - 1, f);
	text[len] = '\0';
	fclose(f);
	snprintf(path, sizeof(path), "%s/net/%s", root, name);
	f = fopen(path, "w"); /* truncates the same inode the check holds open */
	assert_non_null(f);
	if (replace) {
		char *at = strstr(text, replace);

		assert_non_null(at);
		fwrite(text, 1, (size_t)(at - text), f);
		fputs(with, f);
		fputs(at + strlen(replace), f);
	} else {
		fputs(text, f);
	}
	fclose(f);
}

static int
setup(void **unused)
{
	char net[96];

	(void)unused;
	snprintf(root, sizeof(root), "/tmp/tally-nettarget-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(net, sizeof(net), "%s/net", root);
	assert_int_equal(mkdir(net, 0755), 0);
	return 0;
}

static int
teardown(void **unused)
{
	static const char *const files[] = { "dev", "snmp", "snmp6", "netstat" };
	char path[128];

	(void)unused;
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/net/%s", root, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/net", root);
	rmdir(path);
	rmdir(root);
	return 0;
}

static void
test_rates_wrap_reset_vanish(void **unused)
{
	struct net_target t;
	struct tally_check_strlist lo = { (const char *const[]){ "lo" }, 1 };
	struct net_filter f = { &lo, NULL, false };
	double per_pkt, udp;

	(void)unused;
	put("dev", "net_dev_wrap_a", NULL, NULL);
	put("snmp", "snmp", NULL, NULL);
	put("snmp6", "snmp6", NULL, NULL);
	put("netstat", "netstat", NULL, NULL);
	assert_int_equal(net_target_init(&t, NULL, root, "/nonexistent"), 0);
	n_recs = 0;
	assert_int_equal(net_target_run(&t, &f, &ops, NULL), 0);
	/* the first run is a baseline: only the gauge */
	assert_int_equal(n_recs, 1);
	assert_true(value("system.net.tcp.current_established", "") == 0);

	put("dev", "net_dev_wrap_b", NULL, NULL);
	/* 100 more IPv4 datagrams (2294 -> 2394) and 50 more IPv6 ones (7 -> 57) */
	put("snmp", "snmp", "Udp: 2294 ", "Udp: 2394 ");
	put("snmp6", "snmp6", "Udp6InDatagrams                 \t7", "Udp6InDatagrams \t57");
	usleep(20000);
	n_recs = 0;
	assert_int_equal(net_target_run(&t, &f, &ops, NULL), 0);
	/* eth0: rx bytes wrapped at 2^32 (+1000), rx packets +10: 100 bytes a packet */
	per_pkt = value("system.net.bytes_rcvd", "device:eth0,") /
	          value("system.net.packets_in.count", "device:eth0,");
	assert_true(per_pkt > 99.999 && per_pkt < 100.001);
	/* eth0 tx bytes went from 5e9 to 1000: a reset, no rate; tx packets 5000 -> 10 too */
	assert_true(value("system.net.bytes_sent", "device:eth0,") < 0);
	assert_true(value("system.net.packets_out.count", "device:eth0,") < 0);
	assert_true(value("system.net.packets_in.error", "device:eth0,") == 0);
	/* veth1 vanished, veth2 is new (a baseline), lo excluded */
	assert_true(value("system.net.bytes_rcvd", "device:veth1,") < 0);
	assert_true(value("system.net.bytes_rcvd", "device:veth2,") < 0);
	assert_true(value("system.net.bytes_rcvd", "device:lo,") < 0);
	assert_int_equal(count_named("system.net.bytes_rcvd"), 1);
	/* UDP: IPv4 + IPv6, 150 datagrams against eth0's 10 packets */
	udp = value("system.net.udp.in_datagrams", "") /
	      value("system.net.packets_in.count", "device:eth0,");
	assert_true(udp > 14.999 && udp < 15.001);
	assert_true(value("system.net.tcp.retrans_segs", "") == 0);
	assert_true(value("system.net.tcp.listen_drops", "") == 0);
	assert_int_equal(count_named("system.net.tcp.in_segs"), 1);
	net_target_free(&t);
}

static void
test_regex_and_tags(void **unused)
{
	struct net_target t;
	struct tally_check_strlist none = { NULL, 0 };
	regex_t re;
	struct net_filter f = { &none, &re, false };
	char spec[32], tag[64];

	(void)unused;
	assert_int_equal(regcomp(&re, "^(eth|veth)", REG_EXTENDED | REG_NOSUB), 0);
	put("dev", "net_dev_wrap_a", NULL, NULL);
	/* pid:<self> under the temp root: <root>/<pid>/net is absent, so nothing is read */
	snprintf(spec, sizeof(spec), "pid:%d", (int)getpid());
	assert_int_equal(net_target_init(&t, spec, root, "/nonexistent"), 0);
	n_recs = 0;
	assert_int_equal(net_target_run(&t, &f, &ops, NULL), 0);
	assert_int_equal(n_recs, 0);
	net_target_free(&t);
	/* the real /proc for pid:<self>: tagged netns:pid:<self>, lo kept (nothing excluded) */
	assert_int_equal(net_target_init(&t, spec, "/proc", "/nonexistent"), 0);
	for (int i = 0; i < 2; i++) {
		n_recs = 0;
		assert_int_equal(net_target_run(&t, &f, &ops, NULL), 0);
	}
	snprintf(tag, sizeof(tag), "device:lo,netns:%s,", spec);
	assert_true(value("system.net.bytes_rcvd", tag) >= 0);
	snprintf(tag, sizeof(tag), "netns:%s,", spec);
	assert_true(value("system.net.tcp.in_segs", tag) >= 0);
	for (size_t i = 0; i < n_recs; i++)
		assert_null(strstr(recs[i].tags, "device:eth"));
	net_target_free(&t);
	regfree(&re);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates_wrap_reset_vanish),
		cmocka_unit_test(test_regex_and_tags),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
