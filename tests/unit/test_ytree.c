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

#include "xmem.h"
#include "ytree.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct tally_ydoc *
load(const char *text, char *err, size_t err_len)
{
	return tally_ydoc_load_string("t.yaml", text, strlen(text), err, err_len);
}

static void
assert_mark(const struct tally_ynode *n, int line, int col)
{
	assert_non_null(n);
	assert_int_equal(n->line, line);
	assert_int_equal(n->col, col);
}

static void
test_tree_shape_and_marks(void **state)
{
	static const char text[] = "# comment\n"
	                           "port: 8125\n"
	                           "name: \"123\"\n"
	                           "empty:\n"
	                           "tilde: ~\n"
	                           "quoted_null: 'null'\n"
	                           "list:\n"
	                           "  - a\n"
	                           "  - [b, {c: d}]\n"
	                           "block: |\n"
	                           "  two\n"
	                           "  lines\n";
	char err[256] = "";
	struct tally_ydoc *doc = load(text, err, sizeof(err));
	const struct tally_ynode *root, *list, *inner;

	assert_non_null(doc);
	root = doc->root;
	assert_int_equal(root->kind, TALLY_YNODE_MAP);
	assert_mark(root, 2, 1);
	assert_int_equal(root->n, 7);
	/* keys keep their own marks, in document order */
	assert_string_equal(root->pairs[0].key->text, "port");
	assert_mark(root->pairs[0].key, 2, 1);
	assert_string_equal(root->pairs[6].key->text, "block");
	assert_mark(root->pairs[6].key, 10, 1);
	assert_string_equal(doc->root->pairs[1].value->file, "t.yaml");

	assert_string_equal(tally_ynode_map_get(root, "port")->text, "8125");
	assert_false(tally_ynode_map_get(root, "port")->quoted);
	assert_mark(tally_ynode_map_get(root, "port"), 2, 7);
	assert_true(tally_ynode_map_get(root, "name")->quoted);
	assert_int_equal(tally_ynode_map_get(root, "empty")->kind, TALLY_YNODE_NULL);
	assert_int_equal(tally_ynode_map_get(root, "tilde")->kind, TALLY_YNODE_NULL);
	assert_int_equal(tally_ynode_map_get(root, "quoted_null")->kind, TALLY_YNODE_SCALAR);
	assert_string_equal(tally_ynode_map_get(root, "block")->text, "two\nlines\n");
	assert_null(tally_ynode_map_get(root, "absent"));
	assert_null(tally_ynode_map_get(tally_ynode_map_get(root, "port"), "x"));

	list = tally_ynode_map_get(root, "list");
	assert_int_equal(list->kind, TALLY_YNODE_SEQ);
	assert_int_equal(list->n, 2);
	assert_mark(list->items[0], 8, 5);
	inner = list->items[1];
	assert_int_equal(inner->kind, TALLY_YNODE_SEQ);
	assert_mark(inner, 9, 5);
	assert_mark(inner->items[1], 9, 9);
	assert_mark(tally_ynode_map_get(inner->items[1], "c"), 9, 13);
	tally_ydoc_free(doc);
}

static void
test_empty_documents_are_null(void **state)
{
	static const char *const texts[] = { "", "\n\n", "# only a comment\n", "---\n",
		                             "--- # c\n...\n" };
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct tally_ydoc *doc = load(texts[i], err, sizeof(err));

		assert_non_null(doc);
		assert_int_equal(doc->root->kind, TALLY_YNODE_NULL);
		assert_true(doc->root->line >= 1);
		tally_ydoc_free(doc);
	}
	tally_ydoc_free(NULL);
}

static const struct {
	const char *text;
	const char *err;
} bad_docs[] = {
	{ "a: [1, 2\nb: 3\n",
	  "t.yaml:2:2: did not find expected ',' or ']' (while parsing a flow sequence at 1:4)" },
	{ "a:\n  b: 1\n c: 2\n",
	  "t.yaml:3:2: did not find expected key (while parsing a block mapping at 1:1)" },
	{ "a:\n\tb: 1\n", "t.yaml:2:1: found character that cannot start any token (while "
	                  "scanning for the next token at 2:1)" },
	{ "a: 1\n\tb: 2\n", "t.yaml:2:1: found a tab character that violates indentation (while "
	                    "scanning a plain scalar at 1:4)" },
	{ "a: \"x\n", "t.yaml:2:1: found unexpected end of stream (while scanning a quoted "
	              "scalar at 1:4)" },
	{ "a: b: c\n", "t.yaml:1:5: mapping values are not allowed in this context" },
	{ "key: value\n- item\n",
	  "t.yaml:2:1: did not find expected key (while parsing a block mapping at 1:1)" },
	{ "a: \xff\n", "t.yaml:1:4: invalid leading UTF-8 octet (#xFF)" },
	{ "a: 1\nb: x\x01\n", "t.yaml:2:5: control characters are not allowed (#x1)" },
	{ "a: &x 1\nb: *x\n", "t.yaml:1:4: anchors (&x) are not supported" },
	{ "a: *x\n", "t.yaml:1:4: aliases (*x) are not supported" },
	{ "a: 1\n---\nb: 2\n", "t.yaml:2:1: only one YAML document per file is supported" },
	{ "a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key \"a\" (first at 1:1)" },
	{ "x:\n  z: 1\n  y: 2\n  z: 3\n", "t.yaml:4:3: duplicate key \"z\" (first at 2:3)" },
	{ "? [a]\n: 1\n", "t.yaml:1:3: map keys must be scalars" },
	{ "\"a\\0b\": 1\n", "t.yaml:1:1: map key contains a NUL byte" },
};

static void
test_bad_documents(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_docs); i++) {
		char err[256] = "";

		assert_null(load(bad_docs[i].text, err, sizeof(err)));
		assert_string_equal(err, bad_docs[i].err);
	}
}

static char *
nested(int depth, bool flow)
{
	char *s = tally_xmalloc(flow ? (size_t)depth * 2 + 16 : (size_t)depth * (depth + 8) + 16);
	char *p = s;

	for (int i = 0; i < depth; i++) {
		if (flow)
			p += sprintf(p, "[");
		else
			p += sprintf(p, "%*sk:\n", i, "");
	}
	if (flow) {
		for (int i = 0; i < depth; i++)
			p += sprintf(p, "]");
	} else {
		p += sprintf(p, "%*sv\n", depth, "");
	}
	*p = '\0';
	return s;
}

static void
test_depth_limit(void **state)
{
	char err[256];
	char *ok = nested(TALLY_YTREE_MAX_DEPTH, true);
	char *deep = nested(TALLY_YTREE_MAX_DEPTH + 1, true);
	char *block = nested(TALLY_YTREE_MAX_DEPTH + 1, false);
	char *huge = nested(200000, true);
	struct tally_ydoc *doc = load(ok, err, sizeof(err));

	assert_non_null(doc);
	tally_ydoc_free(doc);
	assert_null(load(deep, err, sizeof(err)));
	assert_string_equal(err, "t.yaml:1:65: nested deeper than 64 levels");
	/* a block map per line: the 65th level opens on line 65 */
	assert_null(load(block, err, sizeof(err)));
	assert_string_equal(err, "t.yaml:65:65: nested deeper than 64 levels");
	assert_null(load(huge, err, sizeof(err)));
	assert_string_equal(err, "t.yaml:1:65: nested deeper than 64 levels");
	free(ok);
	free(deep);
	free(block);
	free(huge);
}

static void
test_size_and_node_limits(void **state)
{
	size_t n = TALLY_YTREE_MAX_NODES + 1, len = 0;
	char *text = tally_xmalloc(n * 2 + 2), err[256];

	text[len++] = '[';
	for (size_t i = 0; i < n; i++) {
		text[len++] = '1';
		text[len++] = ',';
	}
	text[len - 1] = ']';
	assert_null(tally_ydoc_load_string("n.yaml", text, len, err, sizeof(err)));
	assert_string_equal(err, "n.yaml:1:524288: more than 262144 nodes in the document");
	free(text);

	text = tally_xcalloc(TALLY_YTREE_MAX_BYTES + 1, 1);
	memset(text, ' ', TALLY_YTREE_MAX_BYTES + 1);
	assert_null(
	    tally_ydoc_load_string("big.yaml", text, TALLY_YTREE_MAX_BYTES + 1, err, sizeof(err)));
	assert_string_equal(err, "big.yaml: larger than 4194304 bytes");
	free(text);
}

/* Writes len bytes to a new temporary file and returns its path (caller frees and unlinks). */
static char *
temp_file(const void *data, size_t len)
{
	char *path = tally_xstrdup("/tmp/test_ytree.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void
test_load_file(void **state)
{
	char err[512], want[512];
	static const char text[] = "a: [x, y]\nb:\n  - {c: 1}\n";
	char *path = temp_file(text, strlen(text));
	struct tally_ydoc *doc = tally_ydoc_load_file(path, err, sizeof(err));
	char *big;

	assert_non_null(doc);
	assert_string_equal(doc->name, path);
	assert_string_equal(doc->root->pairs[1].value->items[0]->file, path);
	tally_ydoc_free(doc);
	unlink(path);
	free(path);

	assert_null(tally_ydoc_load_file("/nonexistent/x.yaml", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/x.yaml: No such file or directory");
	assert_null(tally_ydoc_load_file("/tmp", err, sizeof(err)));
	assert_string_equal(err, "/tmp: Is a directory");

	big = tally_xmalloc(TALLY_YTREE_MAX_BYTES + 100);
	memset(big, '#', TALLY_YTREE_MAX_BYTES + 100);
	path = temp_file(big, TALLY_YTREE_MAX_BYTES + 100);
	assert_null(tally_ydoc_load_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: larger than 4194304 bytes", path);
	assert_string_equal(err, want);
	unlink(path);
	free(path);
	free(big);
}

/* Random bytes must give an error (or, rarely, a tree), never a crash or a leak. */
static void
test_binary_garbage(void **state)
{
	char buf[4096], err[256];
	unsigned seed = 12345;
	struct tally_ydoc *doc;

	for (int round = 0; round < 300; round++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(buf));

		for (size_t i = 0; i < len; i++)
			buf[i] = (char)(rand_r(&seed) & 0xff);
		err[0] = '\0';
		doc = tally_ydoc_load_string("g.bin", buf, len, err, sizeof(err));
		if (!doc)
			assert_true(strncmp(err, "g.bin:", 6) == 0);
		tally_ydoc_free(doc);
	}
	doc = tally_ydoc_load_string("g.bin", "\0\0\0\x01", 4, err, sizeof(err));
	assert_null(doc);
	assert_string_equal(err, "g.bin:1:1: control characters are not allowed (#x0)");
	/* no room for the message at all is fine too */
	assert_null(tally_ydoc_load_string("g.bin", "[", 1, NULL, 0));
	assert_null(tally_ydoc_load_string("g.bin", "[", 1, err, 4));
	assert_string_equal(err, "g.b");
}

static void
test_from_text(void **state)
{
	struct tally_ydoc *doc = tally_ydoc_from_text("DD_TAGS", " a:b,c:d  e ,", " ,");
	char err[256];
	int64_t v;

	assert_int_equal(doc->root->kind, TALLY_YNODE_SEQ);
	assert_int_equal(doc->root->n, 3);
	assert_string_equal(doc->root->items[0]->text, "a:b");
	assert_string_equal(doc->root->items[2]->text, "e");
	assert_mark(doc->root->items[2], 0, 0);
	tally_ydoc_free(doc);

	doc = tally_ydoc_from_text("DD_TAGS", "", " ,");
	assert_int_equal(doc->root->n, 0);
	tally_ydoc_free(doc);

	doc = tally_ydoc_from_text("DD_DOGSTATSD_PORT", "x", NULL);
	assert_int_equal(doc->root->kind, TALLY_YNODE_SCALAR);
	assert_int_equal(tally_ynode_int64(doc->root, NULL, 0, 65535, &v, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "DD_DOGSTATSD_PORT: expected integer 0..65535, got \"x\"");
	tally_ydoc_free(doc);
}

/* One scalar (or "[map]"/"[seq]"/"~") as a document, the value of key v. */
static struct tally_ydoc *
value_doc(const char *value)
{
	char text[256], err[256];
	struct tally_ydoc *doc;

	snprintf(text, sizeof(text), "v: %s\n", value);
	doc = load(text, err, sizeof(err));
	if (!doc)
		fail_msg("%s: %s", value, err);
	return doc;
}

#define V(doc) ((doc)->root->pairs[0].value)

static const struct {
	const char *value;
	int rc;
	bool out;
	const char *err;
} bool_cases[] = {
	{ "true", 0, true, NULL },
	{ "Yes", 0, true, NULL },
	{ "ON", 0, true, NULL },
	{ "1", 0, true, NULL },
	{ "\"true\"", 0, true, NULL },
	{ "false", 0, false, NULL },
	{ "no", 0, false, NULL },
	{ "Off", 0, false, NULL },
	{ "0", 0, false, NULL },
	{ "maybe", -EINVAL, false, "t.yaml:1:4: flag: expected true or false, got \"maybe\"" },
	{ "[true]", -EINVAL, false, "t.yaml:1:4: flag: expected true or false, got a sequence" },
	{ "~", -EINVAL, false, "t.yaml:1:4: flag: expected true or false, got null" },
};

static void
test_bool(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(bool_cases); i++) {
		struct tally_ydoc *doc = value_doc(bool_cases[i].value);
		char err[256] = "";
		bool out = !bool_cases[i].out;

		assert_int_equal(tally_ynode_bool(V(doc), "flag", &out, err, sizeof(err)),
		                 bool_cases[i].rc);
		if (bool_cases[i].rc)
			assert_string_equal(err, bool_cases[i].err);
		else
			assert_int_equal(out, bool_cases[i].out);
		tally_ydoc_free(doc);
	}
}

static const struct {
	const char *value;
	int64_t min, max;
	int rc;
	int64_t out;
	const char *err;
} int_cases[] = {
	{ "8125", 0, 65535, 0, 8125, NULL },
	{ "\"8125\"", 0, 65535, 0, 8125, NULL },
	{ "-5", -10, 10, 0, -5, NULL },
	{ "+7", 0, 10, 0, 7, NULL },
	{ "9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX, NULL },
	{ "70000", 0, 65535, -ERANGE, 0,
	  "t.yaml:1:4: n: expected integer 0..65535, got \"70000\"" },
	{ "0", 1, INT64_MAX, -ERANGE, 0, "t.yaml:1:4: n: expected integer >= 1, got \"0\"" },
	{ "11", INT64_MIN, 10, -ERANGE, 0, "t.yaml:1:4: n: expected integer <= 10, got \"11\"" },
	{ "abc", 0, 65535, -EINVAL, 0, "t.yaml:1:4: n: expected integer 0..65535, got \"abc\"" },
	{ "10.5", INT64_MIN, INT64_MAX, -EINVAL, 0,
	  "t.yaml:1:4: n: expected integer, got \"10.5\"" },
	{ "0x10", INT64_MIN, INT64_MAX, -EINVAL, 0,
	  "t.yaml:1:4: n: expected integer, got \"0x10\"" },
	{ "\" 5\"", INT64_MIN, INT64_MAX, -EINVAL, 0,
	  "t.yaml:1:4: n: expected integer, got \" 5\"" },
	{ "99999999999999999999", INT64_MIN, INT64_MAX, -ERANGE, 0,
	  "t.yaml:1:4: n: expected integer, got \"99999999999999999999\"" },
	{ "{a: 1}", 0, 1, -EINVAL, 0, "t.yaml:1:4: n: expected integer 0..1, got a map" },
	{ "\"1\\0\"", 0, 9, -EINVAL, 0, "t.yaml:1:4: n: expected integer 0..9, got \"1\\x00\"" },
};

static void
test_int64(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(int_cases); i++) {
		struct tally_ydoc *doc = value_doc(int_cases[i].value);
		char err[256] = "";
		int64_t out = 42;

		assert_int_equal(tally_ynode_int64(V(doc), "n", int_cases[i].min, int_cases[i].max,
		                                   &out, err, sizeof(err)),
		                 int_cases[i].rc);
		if (int_cases[i].rc) {
			assert_string_equal(err, int_cases[i].err);
			assert_int_equal(out, 42);
		} else {
			assert_int_equal(out, int_cases[i].out);
		}
		tally_ydoc_free(doc);
	}
}

static const struct {
	const char *value;
	int rc;
	double out;
	const char *err;
} double_cases[] = {
	{ "2.5", 0, 2.5, NULL },
	{ "1e1", 0, 10, NULL },
	{ "-0.5", 0, -0.5, NULL },
	{ "\"3\"", 0, 3, NULL },
	{ "11", -ERANGE, 0, "t.yaml:1:4: x: expected number -1..10, got \"11\"" },
	{ "nan", -EINVAL, 0, "t.yaml:1:4: x: expected number -1..10, got \"nan\"" },
	{ ".inf", -EINVAL, 0, "t.yaml:1:4: x: expected number -1..10, got \".inf\"" },
	{ "2s", -EINVAL, 0, "t.yaml:1:4: x: expected number -1..10, got \"2s\"" },
};

static void
test_double(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(double_cases); i++) {
		struct tally_ydoc *doc = value_doc(double_cases[i].value);
		char err[256] = "";
		double out = 42;

		assert_int_equal(tally_ynode_double(V(doc), "x", -1, 10, &out, err, sizeof(err)),
		                 double_cases[i].rc);
		if (double_cases[i].rc)
			assert_string_equal(err, double_cases[i].err);
		else
			assert_true(out == double_cases[i].out);
		tally_ydoc_free(doc);
	}
}

static const struct {
	const char *value;
	uint64_t min, max;
	int rc;
	uint64_t out;
	const char *err;
} size_cases[] = {
	{ "8192", 0, UINT64_MAX, 0, 8192, NULL },
	{ "8MiB", 0, UINT64_MAX, 0, 8u << 20, NULL },
	{ "8 MiB", 0, UINT64_MAX, 0, 8u << 20, NULL },
	{ "8m", 0, UINT64_MAX, 0, 8u << 20, NULL },
	{ "15MB", 0, UINT64_MAX, 0, 15000000, NULL },
	{ "100KiB", 0, UINT64_MAX, 0, 102400, NULL },
	{ "100k", 0, UINT64_MAX, 0, 102400, NULL },
	{ "2kb", 0, UINT64_MAX, 0, 2000, NULL },
	{ "1g", 0, UINT64_MAX, 0, 1u << 30, NULL },
	{ "3 GB", 0, UINT64_MAX, 0, 3000000000ull, NULL },
	{ "1TiB", 0, UINT64_MAX, 0, 1ull << 40, NULL },
	{ "512B", 0, UINT64_MAX, 0, 512, NULL },
	{ "\"64 KiB\"", 0, UINT64_MAX, 0, 65536, NULL },
	{ "8 apples", 0, UINT64_MAX, -EINVAL, 0,
	  "t.yaml:1:4: sz: expected size in bytes (e.g. 8MiB), got \"8 apples\"" },
	{ "-1", 0, UINT64_MAX, -EINVAL, 0,
	  "t.yaml:1:4: sz: expected size in bytes (e.g. 8MiB), got \"-1\"" },
	{ "1.5MiB", 0, UINT64_MAX, -EINVAL, 0,
	  "t.yaml:1:4: sz: expected size in bytes (e.g. 8MiB), got \"1.5MiB\"" },
	{ "100", 512, 65536, -ERANGE, 0,
	  "t.yaml:1:4: sz: expected size 512..65536 bytes, got \"100\"" },
	{ "1MiB", 512, 65536, -ERANGE, 0,
	  "t.yaml:1:4: sz: expected size 512..65536 bytes, got \"1MiB\"" },
	{ "0", 1, UINT64_MAX, -ERANGE, 0, "t.yaml:1:4: sz: expected size >= 1 bytes, got \"0\"" },
	{ "20000000TiB", 0, UINT64_MAX, -ERANGE, 0,
	  "t.yaml:1:4: sz: expected size in bytes (e.g. 8MiB), got \"20000000TiB\"" },
};

static void
test_size(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(size_cases); i++) {
		struct tally_ydoc *doc = value_doc(size_cases[i].value);
		char err[256] = "";
		uint64_t out = 42;

		assert_int_equal(tally_ynode_size(V(doc), "sz", size_cases[i].min,
		                                  size_cases[i].max, &out, err, sizeof(err)),
		                 size_cases[i].rc);
		if (size_cases[i].rc)
			assert_string_equal(err, size_cases[i].err);
		else
			assert_int_equal(out, size_cases[i].out);
		tally_ydoc_free(doc);
	}
}

static void
test_str(void **state)
{
	struct tally_ydoc *doc = value_doc("8125");
	const char *s = NULL;
	char err[256];

	assert_int_equal(tally_ynode_str(V(doc), "s", &s, err, sizeof(err)), 0);
	assert_string_equal(s, "8125");
	tally_ydoc_free(doc);

	doc = value_doc("[a]");
	assert_int_equal(tally_ynode_str(V(doc), "s", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:4: s: expected a string, got a sequence");
	tally_ydoc_free(doc);

	doc = value_doc("\"a\\0b\"");
	assert_int_equal(tally_ynode_str(V(doc), NULL, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:4: expected a string, got \"a\\x00b\"");
	tally_ydoc_free(doc);
}

static void
test_describe_is_bounded(void **state)
{
	char text[400], err[256], got[40], want[256];
	struct tally_ydoc *doc;
	int64_t v;

	memset(text, 'x', sizeof(text));
	memcpy(text, "v: \"\\t\\\"", 8);
	strcpy(text + 300, "\"\n");
	doc = load(text, err, sizeof(err));
	assert_non_null(doc);
	assert_int_equal(tally_ynode_int64(V(doc), "n", 0, 1, &v, err, sizeof(err)), -EINVAL);
	/* cut to fit 96 bytes: quotes, two escapes, 79 x's and "..." */
	snprintf(want, sizeof(want), "t.yaml:1:4: n: expected integer 0..1, got \"%s%.79s...\"",
	         "\\x09\\x22", text + 8);
	assert_string_equal(err, want);
	tally_ynode_describe(V(doc), got, sizeof(got));
	assert_true(strlen(got) < sizeof(got));
	assert_string_equal(got + strlen(got) - 4, "...\"");
	tally_ydoc_free(doc);

	/* a cut never splits a UTF-8 character */
	doc = value_doc("ééééééééééééééééééééééééééééééééééééééééééééé");
	tally_ynode_describe(V(doc), got, sizeof(got));
	assert_string_equal(got, "\"ééééééééééééééé...\"");
	tally_ydoc_free(doc);
}

static void
assert_list(char **list, size_t n, const char *const *want, size_t n_want)
{
	assert_non_null(list);
	assert_int_equal(n, n_want);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(list[i], want[i]);
}

static void
test_strlist(void **state)
{
	static const char *const abc[] = { "a:1", "b", "c d" };
	static const char *const split[] = { "a:1", "b", "c" };
	struct tally_ydoc *doc;
	char **list = NULL, err[256];
	size_t n = 99;

	doc = value_doc("[a:1, b, \"c d\"]");
	assert_int_equal(tally_ynode_strlist(V(doc), "t", " ,", &list, &n, err, sizeof(err)), 0);
	assert_list(list, n, abc, 3);
	tally_ystrlist_free(list, n);
	tally_ydoc_free(doc);

	doc = value_doc("\"a:1, b  c\"");
	assert_int_equal(tally_ynode_strlist(V(doc), "t", " ,", &list, &n, err, sizeof(err)), 0);
	assert_list(list, n, split, 3);
	tally_ystrlist_free(list, n);
	assert_int_equal(tally_ynode_strlist(V(doc), "t", NULL, &list, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0], "a:1, b  c");
	tally_ystrlist_free(list, n);
	tally_ydoc_free(doc);

	doc = value_doc("~");
	assert_int_equal(tally_ynode_strlist(V(doc), "t", " ,", &list, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	tally_ystrlist_free(list, n);
	tally_ydoc_free(doc);

	doc = value_doc("[a, {b: 1}]");
	assert_int_equal(tally_ynode_strlist(V(doc), "t", " ,", &list, &n, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "t.yaml:1:8: t[1]: expected a string, got a map");
	tally_ydoc_free(doc);

	doc = value_doc("{a: b}");
	assert_int_equal(tally_ynode_strlist(V(doc), "t", " ,", &list, &n, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "t.yaml:1:4: t: expected a list of strings, got a map");
	tally_ydoc_free(doc);
	tally_ystrlist_free(NULL, 3);
}

static void
test_error_helper(void **state)
{
	struct tally_ydoc *doc = value_doc("x");
	char err[256];

	assert_int_equal(tally_ynode_error(V(doc), err, sizeof(err), "bad %s", "thing"), -EINVAL);
	assert_string_equal(err, "t.yaml:1:4: bad thing");
	assert_string_equal(tally_ynode_kind_name(V(doc)->kind), "scalar");
	assert_string_equal(tally_ynode_kind_name(TALLY_YNODE_MAP), "map");
	tally_ydoc_free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_shape_and_marks),
		cmocka_unit_test(test_empty_documents_are_null),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_size_and_node_limits),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_binary_garbage),
		cmocka_unit_test(test_from_text),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_int64),
		cmocka_unit_test(test_double),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_describe_is_bounded),
		cmocka_unit_test(test_strlist),
		cmocka_unit_test(test_error_helper),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
