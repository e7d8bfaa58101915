/*
 * ytree.c: reading YAML into the tree (libyaml events to nodes, with the limits of ytree.h),
 * building and freeing nodes, and looking keys up. Files and plain text are turned into
 * documents in ytree_text.c; the typed accessors are in ytree_get.c.
 */
#include "ytree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "xmem.h"
#include "ytree_internal.h"

/* One open sequence or map while building; cap is the allocated room of its items or pairs. */
struct frame {
	struct tally_ynode *node;
	size_t cap;
};

struct builder {
	yaml_parser_t parser;
	struct tally_ydoc *doc;
	const char *text; /* the input, to place reader errors that only carry an offset */
	size_t len;
	struct frame stack[TALLY_YTREE_MAX_DEPTH];
	int depth;
	size_t n_nodes;
	int n_docs;
	char *err;
	size_t err_len;
};

/* An error at a position given 0-based, as libyaml marks are. */
__attribute__((format(printf, 4, 5))) static int
mark_error(struct builder *b, size_t line0, size_t col0, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tally_ytree_verror(b->err, b->err_len, b->doc->name, (int)line0 + 1, (int)col0 + 1, fmt,
	                   ap);
	va_end(ap);
	return -EINVAL;
}

void
tally_ytree_file_error(char *err, size_t err_len, const char *file, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tally_ytree_verror(err, err_len, file, 0, 0, fmt, ap);
	va_end(ap);
}

static void
node_free(struct tally_ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; n->items && i < n->n; i++)
		node_free(n->items[i]);
	for (size_t i = 0; n->pairs && i < n->n; i++) {
		node_free(n->pairs[i].key);
		node_free(n->pairs[i].value);
	}
	free(n->items);
	free(n->pairs);
	free(n->text);
	free(n);
}

void
tally_ydoc_free(struct tally_ydoc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc->name);
	free(doc);
}

struct tally_ydoc *
tally_ytree_doc_new(const char *name)
{
	struct tally_ydoc *doc = tally_xcalloc(1, sizeof(*doc));

	doc->name = tally_xstrdup(name ? name : "<string>");
	return doc;
}

struct tally_ynode *
tally_ytree_node_new(const struct tally_ydoc *doc, enum tally_ynode_kind kind, int line, int col)
{
	struct tally_ynode *n = tally_xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = line;
	n->col = col;
	n->file = doc->name;
	return n;
}

struct tally_ynode *
tally_ytree_scalar_new(const struct tally_ydoc *doc, const char *text, size_t len)
{
	struct tally_ynode *n = tally_ytree_node_new(doc, TALLY_YNODE_SCALAR, 0, 0);

	n->text = tally_xmalloc(len + 1);
	memcpy(n->text, text, len);
	n->text[len] = '\0';
	n->len = len;
	return n;
}

/* Makes room for one more element in *v, which holds n of size bytes in room for *cap. */
void
tally_ytree_grow(void *v, size_t n, size_t *cap, size_t size)
{
	void **pv = v;

	*pv = tally_xgrow(*pv, cap, n + 1, size, 4);
}

/* A new node arrives inside the map: it is a key, or the value of the last key. */
static int
attach_to_map(struct builder *b, struct frame *f, struct tally_ynode *n)
{
	struct tally_ynode *map = f->node;

	if (map->n && !map->pairs[map->n - 1].value) {
		map->pairs[map->n - 1].value = n;
		return 0;
	}
	tally_ytree_grow(&map->pairs, map->n, &f->cap, sizeof(*map->pairs));
	map->pairs[map->n++] = (struct tally_ypair){ .key = n, .value = NULL };
	if (n->kind == TALLY_YNODE_SEQ || n->kind == TALLY_YNODE_MAP)
		return tally_ynode_error(n, b->err, b->err_len, "map keys must be scalars");
	if (strlen(n->text) != n->len)
		return tally_ynode_error(n, b->err, b->err_len, "map key contains a NUL byte");
	n->kind = TALLY_YNODE_SCALAR;
	return 0;
}

/* Hands n to the tree (which owns it from here on, even when an error is returned). */
static int
attach(struct builder *b, struct tally_ynode *n)
{
	struct frame *f;

	if (b->depth == 0) {
		b->doc->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == TALLY_YNODE_MAP)
		return attach_to_map(b, f, n);
	tally_ytree_grow(&f->node->items, f->node->n, &f->cap, sizeof(*f->node->items));
	f->node->items[f->node->n++] = n;
	return 0;
}

static int
check_node(struct builder *b, const yaml_mark_t *mark, const yaml_char_t *anchor)
{
	if (anchor)
		return mark_error(b, mark->line, mark->column, "anchors (&%.40s) are not supported",
		                  (const char *)anchor);
	if (++b->n_nodes > TALLY_YTREE_MAX_NODES)
		return mark_error(b, mark->line, mark->column, "more than %d nodes in the document",
		                  TALLY_YTREE_MAX_NODES);
	return 0;
}

static bool
is_null_text(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int
on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	struct tally_ynode *n;
	int rc = check_node(b, &ev->start_mark, ev->data.scalar.anchor);

	if (rc)
		return rc;
	n = tally_ytree_scalar_new(b->doc, (const char *)ev->data.scalar.value,
	                           ev->data.scalar.length);
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	n->quoted =
	    ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || (tag && !strcmp(tag, YAML_STR_TAG));
	if (!n->quoted && is_null_text(n->text))
		n->kind = TALLY_YNODE_NULL;
	return attach(b, n);
}

static int
on_start(struct builder *b, const yaml_event_t *ev)
{
	bool is_map = ev->type == YAML_MAPPING_START_EVENT;
	const yaml_mark_t *m = &ev->start_mark;
	struct tally_ynode *n;
	int rc;

	rc = check_node(b, m,
	                is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor);
	if (rc)
		return rc;
	if (b->depth == TALLY_YTREE_MAX_DEPTH)
		return mark_error(b, m->line, m->column, "nested deeper than %d levels",
		                  TALLY_YTREE_MAX_DEPTH);
	n = tally_ytree_node_new(b->doc, is_map ? TALLY_YNODE_MAP : TALLY_YNODE_SEQ,
	                         (int)m->line + 1, (int)m->column + 1);
	rc = attach(b, n);
	if (rc)
		return rc;
	b->stack[b->depth++] = (struct frame){ .node = n, .cap = 0 };
	return 0;
}

static int
cmp_pair_key(const void *a, const void *b)
{
	const struct tally_ypair *pa = *(const struct tally_ypair *const *)a;
	const struct tally_ypair *pb = *(const struct tally_ypair *const *)b;
	int c = strcmp(pa->key->text, pb->key->text);

	/* Equal keys stay in document order, so the second one is the one reported. */
	return c ? c : (pa > pb) - (pa < pb);
}

/* Sorting keeps this O(n log n): a generated map with 100k keys must not take minutes. */
static int
check_duplicate_keys(struct builder *b, const struct tally_ynode *map)
{
	const struct tally_ypair **v;
	int rc = 0;

	if (map->n < 2)
		return 0;
	v = tally_xmalloc(map->n * sizeof(*v));
	for (size_t i = 0; i < map->n; i++)
		v[i] = &map->pairs[i];
	qsort(v, map->n, sizeof(*v), cmp_pair_key);
	for (size_t i = 1; i < map->n && !rc; i++) {
		const struct tally_ynode *first = v[i - 1]->key, *dup = v[i]->key;

		if (!strcmp(first->text, dup->text))
			rc = tally_ynode_error(dup, b->err, b->err_len,
			                       "duplicate key \"%.60s\" (first at %d:%d)",
			                       dup->text, first->line, first->col);
	}
	free(v);
	return rc;
}

static int
on_end(struct builder *b)
{
	struct tally_ynode *n = b->stack[--b->depth].node;

	return n->kind == TALLY_YNODE_MAP ? check_duplicate_keys(b, n) : 0;
}

static int
on_event(struct builder *b, const yaml_event_t *ev, bool *done)
{
	const yaml_mark_t *m = &ev->start_mark;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (b->n_docs++)
			return mark_error(b, m->line, m->column,
			                  "only one YAML document per file is supported");
		return 0;
	case YAML_ALIAS_EVENT:
		return mark_error(b, m->line, m->column, "aliases (*%.40s) are not supported",
		                  (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b);
	default:
		return 0;
	}
}

/* Reader errors (bad UTF-8, control characters) carry a byte offset, not a line. */
static int
reader_error(struct builder *b)
{
	const yaml_parser_t *p = &b->parser;
	size_t end = p->problem_offset < b->len ? p->problem_offset : b->len;
	size_t line = 0, bol = 0;

	for (size_t i = 0; i < end; i++) {
		if (b->text[i] == '\n') {
			line++;
			bol = i + 1;
		}
	}
	if (p->problem_value != -1)
		return mark_error(b, line, end - bol, "%s (#x%X)", p->problem, p->problem_value);
	return mark_error(b, line, end - bol, "%s", p->problem);
}

static int
syntax_error(struct builder *b)
{
	const yaml_parser_t *p = &b->parser;
	const yaml_mark_t *m = &p->problem_mark, *c = &p->context_mark;

	if (p->error == YAML_MEMORY_ERROR) {
		tally_ytree_file_error(b->err, b->err_len, b->doc->name, "out of memory");
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR)
		return reader_error(b);
	if (!p->problem)
		return mark_error(b, m->line, m->column, "invalid YAML");
	if (p->context)
		return mark_error(b, m->line, m->column, "%s (%s at %zu:%zu)", p->problem,
		                  p->context, c->line + 1, c->column + 1);
	return mark_error(b, m->line, m->column, "%s", p->problem);
}

static int
build(struct builder *b)
{
	yaml_event_t ev;
	bool done = false;
	int rc = 0;

	while (!done && !rc) {
		if (!yaml_parser_parse(&b->parser, &ev))
			return syntax_error(b);
		rc = on_event(b, &ev, &done);
		yaml_event_delete(&ev);
	}
	return rc;
}

struct tally_ydoc *
tally_ydoc_load_string(const char *name, const char *text, size_t len, char *err, size_t err_len)
{
	struct builder b = { .text = text ? text : "", .len = len, .err = err, .err_len = err_len };
	int rc;

	b.doc = tally_ytree_doc_new(name);
	if (len > TALLY_YTREE_MAX_BYTES) {
		tally_ytree_file_error(err, err_len, b.doc->name, "larger than %u bytes",
		                       TALLY_YTREE_MAX_BYTES);
		goto fail;
	}
	if (!yaml_parser_initialize(&b.parser)) {
		tally_ytree_file_error(err, err_len, b.doc->name, "out of memory");
		goto fail;
	}
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)b.text, len);
	rc = build(&b);
	yaml_parser_delete(&b.parser);
	if (rc)
		goto fail;
	if (!b.doc->root) {
		b.doc->root = tally_ytree_scalar_new(b.doc, "", 0);
		b.doc->root->kind = TALLY_YNODE_NULL;
		b.doc->root->line = 1;
		b.doc->root->col = 1;
	}
	return b.doc;
fail:
	tally_ydoc_free(b.doc);
	return NULL;
}

const struct tally_ynode *
tally_ynode_map_get(const struct tally_ynode *map, const char *key)
{
	if (!map || map->kind != TALLY_YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		if (!strcmp(map->pairs[i].key->text, key))
			return map->pairs[i].value;
	}
	return NULL;
}
