#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hostport.h"

static void
test_rows(void **state)
{
	static const struct {
		const char *in;
		int default_port;
		int rc;
		const char *host;
		int port;
	} rows[] = {
		{ "127.0.0.1:2003", 0, 0, "127.0.0.1", 2003 },
		{ "graphite.example.com:2004", 2003, 0, "graphite.example.com", 2004 },
		{ "graphite.example.com", 2003, 0, "graphite.example.com", 2003 },
		{ "graphite.example.com", 0, -EINVAL, NULL, 0 },
		{ ":9102", 0, 0, "DEF", 9102 },
		{ "[::1]:9102", 0, 0, "::1", 9102 },
		{ "[::1]", 2003, 0, "::1", 2003 },
		{ "::1:9102", 0, -EINVAL, NULL, 0 },
		{ "[]:1", 0, -EINVAL, NULL, 0 },
		{ "[::1]x", 0, -EINVAL, NULL, 0 },
		{ "h:0", 0, -EINVAL, NULL, 0 },
		{ "h:65536", 0, -EINVAL, NULL, 0 },
		{ "h:12ab", 0, -EINVAL, NULL, 0 },
		{ "h:", 0, -EINVAL, NULL, 0 },
		{ "h:-1", 0, -EINVAL, NULL, 0 },
		{ "", 2003, -EINVAL, NULL, 0 },
	};
	char host[64];
	int port;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = tally_hostport_split(rows[i].in, "DEF", rows[i].default_port, host,
		                              sizeof(host), &port);

		print_message("row %zu: %s\n", i, rows[i].in);
		assert_int_equal(rc, rows[i].rc);
		if (rc == 0) {
			assert_string_equal(host, rows[i].host);
			assert_int_equal(port, rows[i].port);
		}
	}
}

static void
test_host_too_long(void **state)
{
	char host[4];
	int port;

	assert_int_equal(tally_hostport_split("abc:1", "", 0, host, sizeof(host), &port), 0);
	assert_int_equal(tally_hostport_split("abcd:1", "", 0, host, sizeof(host), &port), -EINVAL);
	assert_int_equal(tally_hostport_split(NULL, "", 0, host, sizeof(host), &port), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_host_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
