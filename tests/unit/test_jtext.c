/*
 * jtext: JSON text written without json-c. The strings must come out as json-c writes them
 * (what the Datadog payloads held before), so each case is checked against json-c itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "jtext.h"

static char *
ours(const char *s)
{
	struct tally_jtext j = { 0 };
	char *out;

	tally_jtext_str(&j, s);
	out = malloc(j.len + 1);
	memcpy(out, j.buf, j.len);
	out[j.len] = '\0';
	free(j.buf);
	return out;
}

/* json-c's text for s (valid UTF-8 only: json-c does not check). */
static void
assert_like_jsonc(const char *s)
{
	struct json_object *o = json_object_new_string(s);
	char *got = ours(s);

	assert_string_equal(got, json_object_to_json_string_ext(
	                             o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	free(got);
	json_object_put(o);
}

static void
test_strings_like_jsonc(void **state)
{
	static const char *const cases[] = {
		"",
		"plain",
		"env:prod",
		"a/b",
		"quote\"back\\slash",
		"tab\there\nnl\rcr",
		"\b\f",
		"\x01\x02\x1f\x7f",
		"z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x98\x80",
		"/api/v1/series",
	};
	char all[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_like_jsonc(cases[i]);
	for (int c = 1; c < 128; c++)
		all[c - 1] = (char)c;
	all[127] = '\0';
	assert_like_jsonc(all);
}

static void
test_invalid_utf8_replaced(void **state)
{
	char *got = ours("a\xff"
	                 "b\xed\xa0\x80"
	                 "c\xc3");

	assert_string_equal(got, "\"a\xef\xbf\xbd"
	                         "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	                         "c\xef\xbf\xbd\"");
	free(got);
	got = ours(NULL);
	assert_string_equal(got, "\"\"");
	free(got);
}

static void
test_numbers_and_arrays(void **state)
{
	const char *tags[] = { "a:1", "b\"" };
	struct tally_jtext j = { 0 };

	tally_jtext_i64(&j, INT64_MIN);
	tally_jtext_lit(&j, ",");
	tally_jtext_i64(&j, 42);
	tally_jtext_strs(&j, tags, 2);
	tally_jtext_strs(&j, NULL, 0);
	assert_int_equal(j.len, strlen("-9223372036854775808,42[\"a:1\",\"b\\\"\"][]"));
	assert_memory_equal(j.buf, "-9223372036854775808,42[\"a:1\",\"b\\\"\"][]", j.len);
	free(j.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings_like_jsonc),
		cmocka_unit_test(test_invalid_utf8_replaced),
		cmocka_unit_test(test_numbers_and_arrays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
