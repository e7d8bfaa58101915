/*
 * parse_out: mackerel lines, Nagios perfdata items (quoted labels, units, several items, "U"),
 * and how Nagios output splits into message, long output and perfdata on any line.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "parse_out.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct items {
	struct exec_perf_item v[16];
	size_t n;
};

static void
collect(void *arg, const struct exec_perf_item *it)
{
	struct items *r = arg;

	assert_true(r->n < ARRAY_SIZE(r->v));
	r->v[r->n++] = *it;
}

static size_t
perf(const char *text, struct items *r)
{
	memset(r, 0, sizeof(*r));
	return exec_perfdata(text, strlen(text), collect, r);
}

static void
test_mackerel_lines(void **state)
{
	struct exec_mackerel_line ml;
	static const char *const bad[] = {
		"",
		"name",
		"name\t1",
		"name\t1\t",
		"\t1\t1700000000",
		"na me\t1\t1700000000",
		"name\tx\t1700000000",
		"name\t1\t0",
		"name\t1\t-5",
		"name\t1\t1700000000.5",
		"name\t1\t17e",
		"name\tnan\t1700000000",
		"name\tinf\t1700000000",
		"name\t0x10\t1700000000",
		"name\t1e999\t1700000000",
		"name\t1\t1700000000\textra",
		"name\t1 \t1700000000",
	};

	(void)state;
	assert_int_equal(exec_mackerel_line("custom.a-b.c\t-1.5e3\t1700000000", 30, &ml), 0);
	assert_string_equal(ml.name, "custom.a-b.c");
	assert_true(ml.value == -1500);
	assert_int_equal(ml.epoch, 1700000000);
	assert_int_equal(exec_mackerel_line("x\t2\t1700000001\r", 15, &ml), 0);
	assert_int_equal(ml.epoch, 1700000001);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (exec_mackerel_line(bad[i], strlen(bad[i]), &ml) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	}
}

static void
test_perfdata_items_and_units(void **state)
{
	struct items r;

	(void)state;
	assert_int_equal(
	    perf("load1=0.500;5.000;10.000;0; load5=0.3;;;; 'free space'=12MB;;;0;100", &r), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[0].label, "load1");
	assert_true(r.v[0].value == 0.5);
	assert_string_equal(r.v[1].label, "load5");
	assert_string_equal(r.v[2].label, "free space");
	assert_true(r.v[2].value == 12.0 * 1024 * 1024);
	assert_int_equal(perf("time=250ms;;; t2=3us t3=2s pct=93.5% kb=2KB b=7B tb=1TB gb=1GB", &r),
	                 0);
	assert_true(fabs(r.v[0].value - 0.25) < 1e-12);
	assert_true(fabs(r.v[1].value - 3e-6) < 1e-15);
	assert_true(r.v[2].value == 2);
	assert_true(r.v[3].value == 93.5);
	assert_true(r.v[4].value == 2048);
	assert_true(r.v[5].value == 7);
	assert_true(r.v[6].value == 1099511627776.0);
	assert_true(r.v[7].value == 1073741824.0);
	assert_int_equal(perf("pkts=1234c 'it''s'=1", &r), 0);
	assert_int_equal(r.v[0].kind, EXEC_PERF_COUNTER);
	assert_true(r.v[0].value == 1234);
	assert_int_equal(r.v[1].kind, EXEC_PERF_GAUGE);
	assert_string_equal(r.v[1].label, "it's");
	/* U: not measured, skipped without counting; the rest are malformed. */
	assert_int_equal(perf("u=U;1;2 novalue= =3 x=abc y=1furlongs z=nan w=0,5 'open=1 ok=2", &r),
	                 7);
	assert_int_equal(r.n, 0);
	assert_int_equal(perf("   ", &r), 0);
	assert_int_equal(perf("a=1 junk b=2", &r), 1);
	assert_int_equal(r.n, 2);
}

static void
test_nagios_output(void **state)
{
	static const char out[] =
	    "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n"
	    "/ 15272 MB (77%);\n"
	    "/boot 68 MB (69%);\n"
	    "/home 69357 MB (27%);\n"
	    "/var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n"
	    "/home=69357MB;253404;253409;0;253414\n"
	    "/var/log=818MB;970;975;0;980\n";
	char msg[256];
	struct items r = { 0 };

	(void)state;
	assert_int_equal(exec_nagios(out, sizeof(out) - 1, msg, sizeof(msg) - 1, collect, &r), 0);
	assert_string_equal(msg, "DISK OK - free space: / 3326 MB (56%);\n"
	                         "/ 15272 MB (77%);\n"
	                         "/boot 68 MB (69%);\n"
	                         "/home 69357 MB (27%);\n"
	                         "/var/log 819 MB (84%);");
	assert_int_equal(r.n, 4);
	assert_string_equal(r.v[0].label, "/");
	assert_true(r.v[0].value == 2643.0 * 1024 * 1024);
	assert_string_equal(r.v[1].label, "/boot");
	assert_string_equal(r.v[3].label, "/var/log");
	assert_true(r.v[3].value == 818.0 * 1024 * 1024);

	/* The message is cut at the bound; no '|' at all means no perfdata. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(exec_nagios("OK all fine\nline two\n", 21, msg, 10, collect, &r), 0);
	assert_string_equal(msg, "OK all fin");
	assert_int_equal(r.n, 0);
	assert_int_equal(exec_nagios("", 0, msg, 10, collect, &r), 0);
	assert_string_equal(msg, "");
	assert_int_equal(exec_nagios("CRIT|a=1 b=x", 12, msg, 100, collect, &r), 1);
	assert_string_equal(msg, "CRIT");
	assert_int_equal(r.n, 1);
}

static void
test_units(void **state)
{
	enum exec_perf_kind k;
	double m;

	(void)state;
	assert_true(exec_perf_unit("kB", 2, &m, &k) && m == 1024);
	assert_true(exec_perf_unit("MiB", 3, &m, &k) && m == 1048576);
	assert_true(exec_perf_unit("", 0, &m, &k) && m == 1 && k == EXEC_PERF_GAUGE);
	assert_false(exec_perf_unit("S", 1, &m, &k));
	assert_false(exec_perf_unit("MS", 2, &m, &k));
	assert_false(exec_perf_unit("cc", 2, &m, &k));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mackerel_lines),
		cmocka_unit_test(test_perfdata_items_and_units),
		cmocka_unit_test(test_nagios_output),
		cmocka_unit_test(test_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
