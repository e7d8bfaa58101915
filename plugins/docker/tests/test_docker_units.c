/*
 * The docker check's pure parts: container names and image references as the Datadog check
 * makes tags of them, include/exclude rules, performance_tags, net/dev rows, the stats API
 * fallback (v1 and v2 field names) and the API version choice.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "ctrstats.h"
#include "engine.h"
#include "tags.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void
test_container_name(void **state)
{
	const char *a[] = { "/web", "/other/link" };
	const char *b[] = { "/zeta", "/alpha" };
	const char *c[] = { "/x/y" };
	char out[64];

	(void)state;
	docker_container_name(a, 2, "0123456789abcdef", out, sizeof(out));
	assert_string_equal(out, "web");
	docker_container_name(b, 2, "0123456789abcdef", out, sizeof(out));
	assert_string_equal(out, "alpha");
	docker_container_name(c, 1, "0123456789abcdef", out, sizeof(out));
	assert_string_equal(out, "0123456789ab");
	docker_container_name(NULL, 0, "0123456789abcdef", out, sizeof(out));
	assert_string_equal(out, "0123456789ab");
}

static void
test_image_split(void **state)
{
	static const struct {
		const char *image, *name, *tag, *short_name;
	} rows[] = {
		{ "redis", "redis", "latest", "redis" },
		{ "redis:7", "redis", "7", "redis" },
		{ "local/busybox:test", "local/busybox", "test", "busybox" },
		{ "reg:5000/a/b:1.2", "reg:5000/a/b", "1.2", "b" },
		{ "reg:5000/a/b", "reg:5000/a/b", "latest", "b" },
		{ "nginx@sha256:abcd", "nginx", "latest", "nginx" },
		{ "nginx:1@sha256:abcd", "nginx", "1", "nginx" },
	};
	char n[128], t[64], s[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		docker_image_split(rows[i].image, n, sizeof(n), t, sizeof(t), s, sizeof(s));
		assert_string_equal(n, rows[i].name);
		assert_string_equal(t, rows[i].tag);
		assert_string_equal(s, rows[i].short_name);
	}
}

static void
test_filters(void **state)
{
	const char *rules[] = { "image_name:.*pause", "container_name:web$" };
	const char *bad[] = { "no-colon" };
	const char *badre[] = { "k:(" };
	char a[] = "container_name:web", b[] = "image_name:nginx", c[] = "container_name:web2";
	char d[] = "image_name:k8s/pause";
	char *t1[] = { a, b };
	char *t2[] = { c, d };
	char *t3[] = { c, b };
	struct docker_filter f;
	char err[128];

	(void)state;
	assert_int_equal(docker_filter_compile(&f, rules, 2, err, sizeof(err)), 0);
	assert_true(docker_filter_match(&f, t1, 2));
	assert_true(docker_filter_match(&f, t2, 2));
	assert_false(docker_filter_match(&f, t3, 2));
	docker_filter_clear(&f);
	assert_int_equal(docker_filter_compile(&f, bad, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "key:regex"));
	assert_int_equal(docker_filter_compile(&f, badre, 1, err, sizeof(err)), -EINVAL);
	docker_filter_clear(&f); /* twice is fine */
	assert_int_equal(docker_filter_compile(&f, NULL, 0, err, sizeof(err)), 0);
	assert_false(docker_filter_match(&f, t1, 2));
	docker_filter_clear(&f);
}

static void
test_tag_set(void **state)
{
	const char *items[] = { "container_name", "container_id", "short_image" };
	const char *typo[] = { "image_name", "imgae_tag" };
	struct docker_tag_set s;
	const char *bad;

	(void)state;
	docker_tag_set_parse(&s, items, 3, &bad);
	assert_null(bad);
	assert_true(s.container_name && s.container_id && s.short_image);
	assert_false(s.image_name || s.image_tag || s.docker_image);
	docker_tag_set_parse(&s, typo, 2, &bad);
	assert_string_equal(bad, "imgae_tag");
}

static void
test_netdev(void **state)
{
	const char *text =
	    "Inter-|   Receive                            |  Transmit\n"
	    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
	    "errs drop fifo colls carrier compressed\n"
	    "    lo:     100       1    0    0    0     0          0         0      100       1 "
	    "   0    0    0     0       0          0\n"
	    "  eth0: 123456     100    0    0    0     0          0         0    65432      50 "
	    "   0    0    0     0       0          0\n"
	    "  eth1:      7       1    0    0    0     0          0         0        9       1 "
	    "   0    0    0     0       0          0\n";
	struct docker_sample s;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(docker_netdev_parse(text, &s), 2);
	assert_string_equal(s.ifs[0].name, "eth0");
	assert_int_equal(s.ifs[0].rx_bytes, 123456);
	assert_int_equal(s.ifs[0].tx_bytes, 65432);
	assert_int_equal(docker_sample_rx(&s), 123463);
	assert_int_equal(docker_sample_tx(&s), 65441);
	memset(&s, 0, sizeof(s));
	assert_int_equal(docker_netdev_parse("garbage", &s), 0);
}

static void
test_netmap(void **state)
{
	const char *route = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU"
	                    "\tWindow\tIRTT\n"
	                    "eth0\t00000000\t010011AC\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	                    "eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
	                    "eth1\t0014A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
	struct docker_net nets[] = { { "mynet", "192.168.20.5", 24 },
		                     { "bridge", "172.17.0.2", 16 },
		                     { "other", "10.1.2.3", 8 } };
	struct docker_sample s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.n_if = 2;
	strcpy(s.ifs[0].name, "eth0");
	strcpy(s.ifs[1].name, "eth1");
	docker_netmap(route, nets, 3, &s);
	assert_string_equal(s.ifs[0].network, "bridge");
	assert_string_equal(s.ifs[1].network, "mynet");
	/* no routes readable: only one interface with one network is certain */
	memset(&s, 0, sizeof(s));
	s.n_if = 1;
	strcpy(s.ifs[0].name, "eth0");
	docker_netmap(NULL, &nets[1], 1, &s);
	assert_string_equal(s.ifs[0].network, "bridge");
	memset(s.ifs[0].network, 0, sizeof(s.ifs[0].network));
	docker_netmap(NULL, nets, 3, &s);
	assert_string_equal(s.ifs[0].network, "");
}

static void
test_stats_api_v1(void **state)
{
	const char *j =
	    "{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":5000,\"usage_in_usermode\":3000,"
	    "\"usage_in_kernelmode\":2000},\"throttling_data\":{\"periods\":10,"
	    "\"throttled_periods\":4,\"throttled_time\":99}},"
	    "\"memory_stats\":{\"usage\":1000,\"limit\":4096,\"stats\":{\"total_rss\":600,"
	    "\"total_cache\":300,\"total_inactive_file\":200}},"
	    "\"blkio_stats\":{\"io_service_bytes_recursive\":[{\"op\":\"Read\",\"value\":7},"
	    "{\"op\":\"Write\",\"value\":8},{\"op\":\"Total\",\"value\":15},"
	    "{\"op\":\"read\",\"value\":1}]},"
	    "\"pids_stats\":{\"current\":3,\"limit\":100},"
	    "\"networks\":{\"eth0\":{\"rx_bytes\":11,\"tx_bytes\":22}}}";
	struct json_object *o = json_tokener_parse(j);
	struct docker_sample s;

	(void)state;
	memset(&s, 0, sizeof(s));
	docker_sample_from_api(o, &s);
	assert_int_equal(s.cg.cpu_usage_ns, 5000);
	assert_int_equal(s.cg.cpu_user_ns, 3000);
	assert_int_equal(s.cg.cpu_nr_throttled, 4);
	assert_int_equal(s.cg.mem_rss, 600);
	assert_int_equal(tally_cg_working_set(&s.cg), 800);
	assert_int_equal(s.cg.mem_limit, 4096);
	assert_int_equal(s.cg.io_read_bytes, 8);
	assert_int_equal(s.cg.io_write_bytes, 8);
	assert_int_equal(s.cg.pids_current, 3);
	assert_true(s.cg.has & TALLY_CG_HAS_PIDS_LIMIT);
	assert_int_equal(s.n_if, 1);
	assert_int_equal(docker_sample_tx(&s), 22);
	json_object_put(o);
}

static void
test_stats_api_v2_keeps_host_numbers(void **state)
{
	const char *j = "{\"memory_stats\":{\"usage\":1000,\"stats\":{\"anon\":500,\"file\":400,"
	                "\"inactive_file\":100}},\"networks\":{\"eth0\":{\"rx_bytes\":1}}}";
	struct json_object *o = json_tokener_parse(j);
	struct docker_sample s;

	(void)state;
	memset(&s, 0, sizeof(s));
	docker_sample_from_api(o, &s);
	assert_int_equal(s.cg.mem_rss, 500);
	assert_int_equal(tally_cg_working_set(&s.cg), 900);
	/* numbers read from the host win: only what is missing comes from the API */
	memset(&s, 0, sizeof(s));
	s.cg.has = TALLY_CG_HAS_MEM;
	s.cg.mem_usage = 42;
	docker_sample_from_api(o, &s);
	assert_int_equal(s.cg.mem_usage, 42);
	assert_true(s.has_net && s.net_from_api);
	json_object_put(o);
}

static void
test_api_pick(void **state)
{
	char v[16];

	(void)state;
	assert_int_equal(docker_api_pick("1.41", "1.12", v, sizeof(v)), 0);
	assert_string_equal(v, "1.41");
	assert_int_equal(docker_api_pick("1.52", "1.44", v, sizeof(v)), 0);
	assert_string_equal(v, "1.44"); /* ours (1.43) is below the engine's minimum */
	assert_int_equal(docker_api_pick("1.45", "1.24", v, sizeof(v)), 0);
	assert_string_equal(v, "1.43");
	assert_int_equal(docker_api_pick("2.0", NULL, v, sizeof(v)), 0);
	assert_string_equal(v, "1.43");
	assert_int_equal(docker_api_pick(NULL, NULL, v, sizeof(v)), -EPROTO);
	assert_int_equal(docker_api_pick("junk", NULL, v, sizeof(v)), -EPROTO);
}

static void
test_engine_url(void **state)
{
	char err[256];
	struct docker_engine *e;

	(void)state;
	e = docker_engine_new("unix:///run/docker.sock", 5, err, sizeof(err));
	assert_non_null(e);
	docker_engine_free(e);
	e = docker_engine_new("tcp://127.0.0.1:2375", 5, err, sizeof(err));
	assert_non_null(e);
	docker_engine_free(e);
	assert_null(docker_engine_new("unix://relative", 5, err, sizeof(err)));
	assert_null(docker_engine_new("ftp://x", 5, err, sizeof(err)));
	assert_non_null(strstr(err, "unix:///path"));
	assert_null(docker_engine_new("tcp://", 5, err, sizeof(err)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_name),
		cmocka_unit_test(test_image_split),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_tag_set),
		cmocka_unit_test(test_netdev),
		cmocka_unit_test(test_netmap),
		cmocka_unit_test(test_stats_api_v1),
		cmocka_unit_test(test_stats_api_v2_keeps_host_numbers),
		cmocka_unit_test(test_api_pick),
		cmocka_unit_test(test_engine_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
