/* status_health and status_page: the /health verdict and the `tally status` page, from
 * hand-written /status documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "clock.h"
#include "status.h"

static const struct {
	const char *outputs; /* the document's outputs array */
	int64_t flush_age_ms;
	bool stopping;
	bool healthy;
	const char *reason; /* a part of the reason */
} health_rows[] = {
	{ "[{\"name\":\"console\",\"type\":\"console\"}]", 100, false, true, "ok" },
	{ "[{\"name\":\"datadog\",\"endpoints\":[{\"endpoint\":\"series\",\"state\":\"closed\"}]}]",
	  100, false, true, "ok" },
	{ "[{\"name\":\"datadog\",\"endpoints\":[{\"endpoint\":\"series\",\"state\":\"blocked\","
	  "\"errors\":3,\"last_error\":\"HTTP 503\"}]}]",
	  100, false, false,
	  "output datadog endpoint series is blocked after 3 errors (last: HTTP 503)" },
	{ "[{\"name\":\"graphite\",\"connected\":false,\"queue_lines\":7,\"address\":\"g:2003\"}]",
	  100, false, false, "not connected to g:2003 (7 lines waiting)" },
	{ "[{\"name\":\"graphite\",\"connected\":false,\"queue_lines\":0,\"address\":\"g:2003\"}]",
	  100, false, true, "ok" },
	{ "[]", 60000, false, false, "no flush for" },
	{ "[]", 100, true, false, "stopping" },
};

static void
test_health_verdicts(void **state)
{
	for (size_t i = 0; i < sizeof(health_rows) / sizeof(health_rows[0]); i++) {
		struct tally_status_src src = {
			.flush_interval_s = 10,
			.started_ms = tally_mono_ms() - 100000,
			.last_flush_ms = tally_mono_ms() - health_rows[i].flush_age_ms,
			.stopping = health_rows[i].stopping,
		};
		struct json_object *doc = json_object_new_object();
		char why[512];

		json_object_object_add(doc, "outputs", json_tokener_parse(health_rows[i].outputs));
		assert_int_equal(tally_status_healthy(&src, doc, why, sizeof(why)),
		                 health_rows[i].healthy);
		if (!strstr(why, health_rows[i].reason))
			fail_msg("row %zu: reason \"%s\" lacks \"%s\"", i, why,
			         health_rows[i].reason);
		json_object_put(doc);
	}
}

static const char doc_text[] =
    "{\"version\":\"0.1.0\",\"hostname\":\"h1\",\"pid\":42,\"uptime_s\":3723,\"started\":1000,"
    "\"config_file\":\"/etc/tally/tally.yaml\",\"flush_interval\":10,"
    "\"listeners\":[{\"type\":\"udp\",\"address\":\"127.0.0.1:8125\",\"packets\":12,"
    "\"bytes\":345,\"kernel_drops\":0}],"
    "\"dogstatsd\":{\"metrics\":20,\"parse_errors\":1,\"parse_errors_by_reason\":"
    "{\"no_pipe\":1},\"contexts\":5},"
    "\"checks\":[{\"check\":\"docker\",\"instance\":\"docker:abc\",\"status\":\"ok\",\"runs\":3,"
    "\"last_run\":4700,\"last_duration_ms\":12.5,\"metrics\":40,\"last_error\":null,"
    "\"last_warning\":null},{\"check\":\"exec\",\"instance\":\"exec:a-much-longer-id\","
    "\"status\":\"error\",\"runs\":1,\"last_run\":0,\"last_duration_ms\":1,\"metrics\":0,"
    "\"last_error\":\"init: boom\"}],"
    "\"check_errors\":[\"/c/x.yaml:3:5: bad\"],"
    "\"refused_plugins\":[{\"path\":\"/p/bad.so\",\"reason\":\"ABI\"}],"
    "\"outputs\":[{\"name\":\"datadog\",\"type\":\"datadog\",\"api_key\":\"***bcdef\","
    "\"queue_bytes\":10,\"retries\":2,\"dropped_total\":0,\"last_error\":\"HTTP 503\"}]}";

/* The column of header word col in the line starting with head. */
static size_t
col_of(const char *page, const char *head, const char *col)
{
	const char *line = strstr(page, head);
	const char *nl = strchr(line, '\n');
	const char *at = strstr(line, col);

	assert_non_null(at);
	assert_true(at < nl);
	return (size_t)(at - line);
}

static void
test_page_sections_and_alignment(void **state)
{
	struct json_object *doc = json_tokener_parse(doc_text);
	char *page = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);
	const char *row1, *row2;
	size_t c_status;

	assert_non_null(doc);
	tally_status_page(doc, f);
	fclose(f);
	for (size_t i = 0; i < 4; i++) {
		static const char *const titles[] = { "\nAgent\n=====\n",
			                              "\nDogStatsD\n=========\n",
			                              "\nChecks\n======\n",
			                              "\nOutputs\n=======\n" };
		if (!strstr(page, titles[i]))
			fail_msg("no section %s in:\n%s", titles[i], page);
	}
	assert_non_null(strstr(page, "Uptime:                0d 01h 02m 03s"));
	assert_non_null(strstr(page, "no_pipe"));
	/* Each check row's STATUS value starts under the STATUS header. */
	c_status = col_of(page, "  CHECK ", "STATUS");
	row1 = strstr(page, "  docker ");
	row2 = strstr(page, "  exec ");
	assert_memory_equal(row1 + c_status, "ok ", 3);
	assert_memory_equal(row2 + c_status, "error ", 6);
	assert_non_null(strstr(page, "init: boom"));
	assert_non_null(strstr(page, "Configuration errors (1)\n    /c/x.yaml:3:5: bad"));
	assert_non_null(strstr(page, "Refused plugins (1)\n    /p/bad.so: ABI"));
	assert_non_null(strstr(page, "***bcdef"));
	assert_null(strchr(page, '{'));
	free(page);
	json_object_put(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_verdicts),
		cmocka_unit_test(test_page_sections_and_alignment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
