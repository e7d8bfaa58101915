#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "origin.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* /proc/PID/cgroup texts as the runtimes write them. */
static const struct {
	const char *text;
	const char *want; /* NULL: no container */
} rows[] = {
	{ "12:pids:/docker/" ID "\n11:memory:/docker/" ID "\n", ID },
	{ "0::/system.slice/docker-" ID ".scope\n", ID },
	{ "1:name=systemd:/kubepods/burstable/pod1234/" ID "\n", ID },
	{ "0::/system.slice/containerd.service/kubepods-besteffort.slice:cri-containerd:" ID "\n",
	  ID },
	{ "0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" ID ".scope\n", ID },
	{ "9:name=systemd:/\n8:pids:/\n0::/user.slice/user-0.slice/session-1.scope\n", NULL },
	{ "8:pids:/docker/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n",
	  NULL },
	{ "8:pids:/docker/" ID "0\n", NULL },
	{ "garbage without colons\n", NULL },
	{ "", NULL },
};

static void
test_parse_cgroup_table(void **state)
{
	char id[65];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = tally_origin_parse_cgroup(rows[i].text, strlen(rows[i].text), id);

		if (rows[i].want) {
			assert_int_equal(rc, 0);
			assert_string_equal(id, rows[i].want);
		} else {
			assert_int_not_equal(rc, 0);
		}
	}
}

static void
test_no_container_for_unknown_pid(void **state)
{
	struct tally_origin *o = tally_origin_new("/nonexistent-proc");

	assert_null(tally_origin_tag(o, 1234, 100));
	assert_null(tally_origin_tag(o, 0, 100));
	tally_origin_free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cgroup_table),
		cmocka_unit_test(test_no_container_for_unknown_pid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
