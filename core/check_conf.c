#include "check_conf.h"

#include <errno.h>
#include <float.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tally/check.h>

#include "xmem.h"
#include "ytree.h"

/* A table longer than this is taken for a missing terminator. */
#define CONF_TABLE_MAX 256

static const char *const generic_instance_keys[] = {
	"min_collection_interval", "timeout", "tags", "service", NULL,
};
static const char *const generic_init_keys[] = {
	"min_collection_interval",
	"timeout",
	"service",
	NULL,
};

bool
tally_check_conf_is_generic(const char *key, bool in_instance)
{
	const char *const *keys = in_instance ? generic_instance_keys : generic_init_keys;

	for (size_t i = 0; keys[i]; i++) {
		if (strcmp(keys[i], key) == 0)
			return true;
	}
	return false;
}

static const char *
type_name(enum tally_check_conf_type t)
{
	static const char *const names[] = { "end",    "string",  "integer",
		                             "number", "boolean", "list of strings" };

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

/* Size and alignment of the bound field; 0 for an unknown type. */
static size_t
field_size(enum tally_check_conf_type t, size_t *align)
{
	switch (t) {
	case TALLY_CONF_STR:
		*align = alignof(const char *);
		return sizeof(const char *);
	case TALLY_CONF_INT:
		*align = alignof(int64_t);
		return sizeof(int64_t);
	case TALLY_CONF_DOUBLE:
		*align = alignof(double);
		return sizeof(double);
	case TALLY_CONF_BOOL:
		*align = alignof(bool);
		return sizeof(bool);
	case TALLY_CONF_STRLIST:
		*align = alignof(struct tally_check_strlist);
		return sizeof(struct tally_check_strlist);
	default:
		*align = 1;
		return 0;
	}
}

static void
bound_add(struct tally_check_bound *b, void *p)
{
	b->ptrs = tally_xgrow(b->ptrs, &b->cap, b->n + 1, sizeof(*b->ptrs), 8);
	b->ptrs[b->n++] = p;
}

void
tally_check_conf_bound_free(struct tally_check_bound *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->ptrs[i]);
	free(b->ptrs);
	b->ptrs = NULL;
	b->n = b->cap = 0;
}

/* "WHAT: expected KIND, got ..." for a value without a range (the full range says nothing). */
static int
expected_any(const struct tally_ynode *n, const char *what, const char *kind, char *err,
             size_t err_len)
{
	char got[80];

	tally_ynode_describe(n, got, sizeof(got));
	return tally_ynode_error(n, err, err_len, "%s: expected %s, got %s", what, kind, got);
}

/* A map of scalars as "KEY=VALUE" strings (TALLY_CONF_PAIRS), NULL-terminated like a strlist. */
static int
map_pairs(const struct tally_ynode *n, const char *what, char ***out, size_t *n_out, char *err,
          size_t err_len)
{
	char **v = tally_xcalloc(n->n + 1, sizeof(*v));

	for (size_t i = 0; i < n->n; i++) {
		const char *k, *val;
		int rc = tally_ynode_str(n->pairs[i].key, what, &k, err, err_len);

		if (rc == 0)
			rc = tally_ynode_str(n->pairs[i].value, k, &val, err, err_len);
		if (rc < 0) {
			tally_ystrlist_free(v, i);
			return rc;
		}
		v[i] = tally_xmalloc(strlen(k) + strlen(val) + 2);
		sprintf(v[i], "%s=%s", k, val);
	}
	*out = v;
	*n_out = n->n;
	return 0;
}

/* Parses node n as c's type into state; strings are copied into *bound. */
static int
bind_one(const struct tally_check_conf *c, const struct tally_ynode *n, const char *what,
         void *state, struct tally_check_bound *bound, char *err, size_t err_len)
{
	char *field = (char *)state + c->offset;
	bool ranged = c->min != 0 || c->max != 0;
	const char *s;
	char **list;
	size_t n_list;
	int rc;

	switch (c->type) {
	case TALLY_CONF_STR:
		rc = tally_ynode_str(n, what, &s, err, err_len);
		if (rc == 0) {
			char *copy = tally_xstrdup(s);

			bound_add(bound, copy);
			memcpy(field, &copy, sizeof(copy));
		}
		return rc;
	case TALLY_CONF_INT: {
		int64_t v;

		rc = tally_ynode_int64(n, what, ranged ? (int64_t)c->min : INT64_MIN,
		                       ranged ? (int64_t)c->max : INT64_MAX, &v, err, err_len);
		if (rc == 0)
			memcpy(field, &v, sizeof(v));
		else if (!ranged)
			rc = expected_any(n, what, "an integer", err, err_len);
		return rc;
	}
	case TALLY_CONF_DOUBLE: {
		double v;

		rc = tally_ynode_double(n, what, ranged ? c->min : -DBL_MAX,
		                        ranged ? c->max : DBL_MAX, &v, err, err_len);
		if (rc == 0)
			memcpy(field, &v, sizeof(v));
		else if (!ranged)
			rc = expected_any(n, what, "a number", err, err_len);
		return rc;
	}
	case TALLY_CONF_BOOL: {
		bool v;

		rc = tally_ynode_bool(n, what, &v, err, err_len);
		if (rc == 0)
			memcpy(field, &v, sizeof(v));
		return rc;
	}
	case TALLY_CONF_STRLIST: {
		struct tally_check_strlist sl;

		if (n->kind == TALLY_YNODE_MAP && (c->flags & TALLY_CONF_PAIRS))
			rc = map_pairs(n, what, &list, &n_list, err, err_len);
		else
			rc = tally_ynode_strlist(n, what, (c->flags & TALLY_CONF_WHOLE) ? "" : ",",
			                         &list, &n_list, err, err_len);
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < n_list; i++)
			bound_add(bound, list[i]);
		bound_add(bound, list);
		sl.items = (const char *const *)list;
		sl.n = n_list;
		memcpy(field, &sl, sizeof(sl));
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/* Parses c's default into state (nothing when there is none). */
static int
bind_default(const struct tally_check_conf *c, const char *check_name, void *state,
             struct tally_check_bound *bound, char *err, size_t err_len)
{
	char name[160];
	struct tally_ydoc *doc;
	int rc;

	if (!c->def)
		return 0;
	snprintf(name, sizeof(name), "%s default", check_name);
	doc = tally_ydoc_from_text(name, c->def, c->type == TALLY_CONF_STRLIST ? "," : NULL);
	rc = bind_one(c, doc->root, c->key, state, bound, err, err_len);
	tally_ydoc_free(doc);
	return rc;
}

static int __attribute__((format(printf, 3, 4)))
table_error(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int
check_entry(const struct tally_check_plugin *desc, size_t i, char *err, size_t err_len)
{
	const struct tally_check_conf *c = &desc->conf[i];
	size_t align, size = field_size(c->type, &align);

	if (size == 0)
		return table_error(err, err_len, "config key \"%s\": unknown type %d", c->key,
		                   (int)c->type);
	if (c->offset > desc->state_size || desc->state_size - c->offset < size ||
	    c->offset % align != 0)
		return table_error(
		    err, err_len,
		    "config key \"%s\": offset %zu does not fit a %s in state_size %zu", c->key,
		    c->offset, type_name(c->type), desc->state_size);
	if (strcmp(c->key, "timeout") == 0 && c->type != TALLY_CONF_DOUBLE)
		return table_error(err, err_len, "config key \"timeout\" must be a number");
	if (c->key[0] == '\0' ||
	    (tally_check_conf_is_generic(c->key, true) && strcmp(c->key, "timeout") != 0))
		return table_error(err, err_len, "config key \"%s\" is reserved for the agent",
		                   c->key);
	for (size_t j = 0; j < i; j++) {
		if (strcmp(desc->conf[j].key, c->key) == 0)
			return table_error(err, err_len, "config key \"%s\" is declared twice",
			                   c->key);
	}
	return 0;
}

int
tally_check_conf_table_check(const struct tally_check_plugin *desc, char *err, size_t err_len)
{
	void *scratch = NULL;
	struct tally_check_bound bound = { 0 };
	char msg[512];
	int rc = 0;

	if (!desc->conf)
		return 0;
	scratch = tally_xcalloc(1, desc->state_size ? desc->state_size : 1);
	for (size_t i = 0; rc == 0; i++) {
		if (i == CONF_TABLE_MAX) {
			snprintf(err, err_len, "config table has no { 0 } terminator");
			rc = -EINVAL;
		} else if (!desc->conf[i].key) {
			break;
		} else if ((rc = check_entry(desc, i, err, err_len)) == 0 &&
		           bind_default(&desc->conf[i], desc->name, scratch, &bound, msg,
		                        sizeof(msg)) < 0) {
			snprintf(err, err_len, "config key \"%s\": bad default: %s",
			         desc->conf[i].key, msg);
			rc = -EINVAL;
		}
	}
	tally_check_conf_bound_free(&bound);
	free(scratch);
	return rc;
}

static const struct tally_check_conf *
find_key(const struct tally_check_plugin *desc, const char *key)
{
	for (size_t i = 0; desc->conf && desc->conf[i].key; i++) {
		if (strcmp(desc->conf[i].key, key) == 0)
			return &desc->conf[i];
	}
	return NULL;
}

bool
tally_check_conf_own_timeout(const struct tally_check_plugin *desc, const void *state,
                             double *timeout_s)
{
	const struct tally_check_conf *c = find_key(desc, "timeout");

	if (!c)
		return false;
	memcpy(timeout_s, (const char *)state + c->offset, sizeof(*timeout_s));
	return true;
}

/* Reports every key of map that is neither a table key nor a generic one. */
static int
check_unknown_keys(const struct tally_check_plugin *desc, const struct tally_ynode *map,
                   const char *where, bool in_instance, tally_check_conf_report_fn report,
                   void *arg)
{
	char msg[768];
	int errors = 0;

	if (!map || map->kind != TALLY_YNODE_MAP)
		return 0;
	for (size_t i = 0; i < map->n; i++) {
		const struct tally_ynode *k = map->pairs[i].key;

		if (find_key(desc, k->text) || tally_check_conf_is_generic(k->text, in_instance))
			continue;
		tally_ynode_error(k, msg, sizeof(msg), "%s: unknown key \"%s\" for check %s", where,
		                  k->text, desc->name);
		report(arg, msg);
		errors++;
	}
	return errors;
}

int
tally_check_conf_check_init(const struct tally_check_plugin *desc,
                            const struct tally_ynode *init_config,
                            tally_check_conf_report_fn report, void *arg)
{
	return check_unknown_keys(desc, init_config, "init_config", false, report, arg) ? -EINVAL
	                                                                                : 0;
}

/* The node giving c's value: the instance's, else init_config's; NULL when neither. */
static const struct tally_ynode *
pick_node(const struct tally_check_conf *c, const struct tally_ynode *init_config,
          const struct tally_ynode *instance, const char **from)
{
	const struct tally_ynode *n = tally_ynode_map_get(instance, c->key);

	*from = "instance";
	if (n && n->kind != TALLY_YNODE_NULL)
		return n;
	*from = "init_config";
	n = tally_ynode_map_get(init_config, c->key);
	return n && n->kind != TALLY_YNODE_NULL ? n : NULL;
}

static int
bind_key(const struct tally_check_plugin *desc, const struct tally_check_conf *c,
         const struct tally_ynode *init_config, const struct tally_ynode *instance,
         const char *where, void *state, struct tally_check_bound *bound, char *msg, size_t msg_len)
{
	char what[256];
	const char *from;
	const struct tally_ynode *n = pick_node(c, init_config, instance, &from);

	if (!n && (c->flags & TALLY_CONF_REQUIRED))
		return tally_ynode_error(instance, msg, msg_len,
		                         "%s: missing required key \"%s\" (%s)", where, c->key,
		                         c->doc ? c->doc : type_name(c->type));
	if (!n)
		return bind_default(c, desc->name, state, bound, msg, msg_len);
	snprintf(what, sizeof(what), "%s.%s", strcmp(from, "instance") == 0 ? where : from, c->key);
	return bind_one(c, n, what, state, bound, msg, msg_len);
}

int
tally_check_conf_bind(const struct tally_check_plugin *desc, const struct tally_ynode *init_config,
                      const struct tally_ynode *instance, const char *where, void *state,
                      struct tally_check_bound *bound, tally_check_conf_report_fn report, void *arg)
{
	char msg[768];
	int errors = 0;

	errors += check_unknown_keys(desc, instance, where, true, report, arg);
	for (size_t i = 0; desc->conf && desc->conf[i].key; i++) {
		if (bind_key(desc, &desc->conf[i], init_config, instance, where, state, bound, msg,
		             sizeof(msg)) < 0) {
			report(arg, msg);
			errors++;
		}
	}
	return errors ? -EINVAL : 0;
}

static void
print_value(const struct tally_check_conf *c, const char *field, FILE *out)
{
	const char *s;
	int64_t i;
	double d;
	bool b;
	struct tally_check_strlist sl;

	switch (c->type) {
	case TALLY_CONF_STR:
		memcpy(&s, field, sizeof(s));
		if (s)
			fprintf(out, "\"%s\"", s);
		else
			fputs("null", out);
		break;
	case TALLY_CONF_INT:
		memcpy(&i, field, sizeof(i));
		fprintf(out, "%lld", (long long)i);
		break;
	case TALLY_CONF_DOUBLE:
		memcpy(&d, field, sizeof(d));
		fprintf(out, "%g", d);
		break;
	case TALLY_CONF_BOOL:
		memcpy(&b, field, sizeof(b));
		fputs(b ? "true" : "false", out);
		break;
	case TALLY_CONF_STRLIST:
		memcpy(&sl, field, sizeof(sl));
		fputc('[', out);
		for (size_t k = 0; k < sl.n; k++)
			fprintf(out, "%s\"%s\"", k ? ", " : "", sl.items[k]);
		fputc(']', out);
		break;
	default:
		fputs("?", out);
	}
}

void
tally_check_conf_print(const struct tally_check_plugin *desc, const void *state, const char *indent,
                       FILE *out)
{
	for (size_t i = 0; desc->conf && desc->conf[i].key; i++) {
		const struct tally_check_conf *c = &desc->conf[i];

		fprintf(out, "%s%s: ", indent, c->key);
		print_value(c, (const char *)state + c->offset, out);
		if (c->doc)
			fprintf(out, "  # %s", c->doc);
		fputc('\n', out);
	}
}
