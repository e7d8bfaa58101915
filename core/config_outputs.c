/*
 * config_outputs.c: the `outputs:` key, a list of {type, address | url | listen} maps checked
 * against what each output type needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_internal.h"
#include "xmem.h"
#include "ytree.h"

void
tally_config_outputs_free(struct tally_output_conf *o, size_t n)
{
	for (size_t i = 0; o && i < n; i++) {
		free(o[i].type);
		free(o[i].address);
		free(o[i].url);
		free(o[i].listen);
	}
	free(o);
}

/* Each type and the one key it needs; a key another type uses is an error here. */
static const struct {
	const char *type;
	const char *needs;
} output_types[] = {
	{ "console", NULL },        { "graphite", "address" }, { "influxdb", "url" },
	{ "prometheus", "listen" }, { "datadog", "url" },
};

static int
output_type(struct tally_config_loader *ld, const struct tally_ynode *m, const char *what,
            int *type)
{
	const struct tally_ynode *v = tally_ynode_map_get(m, "type");
	char got[96], name[96];
	const char *s;
	int rc;

	snprintf(name, sizeof(name), "%s.type", what);
	if (!v || v->kind == TALLY_YNODE_NULL)
		return tally_ynode_error(m, ld->err, ld->err_len, "%s: missing type", what);
	rc = tally_ynode_str(v, name, &s, ld->err, ld->err_len);
	if (rc)
		return rc;
	for (int i = 0; i < (int)(sizeof(output_types) / sizeof(output_types[0])); i++) {
		if (!strcmp(s, output_types[i].type)) {
			*type = i;
			return 0;
		}
	}
	tally_ynode_describe(v, got, sizeof(got));
	return tally_ynode_error(
	    v, ld->err, ld->err_len,
	    "%s: unknown output type %s (expected console, graphite, influxdb, "
	    "prometheus or datadog)",
	    name, got);
}

static int
output_key(struct tally_config_loader *ld, const struct tally_ypair *p, const char *what, int type,
           struct tally_output_conf *o)
{
	const char *key = p->key->text, *needs = output_types[type].needs;
	char name[96], got[96];

	snprintf(name, sizeof(name), "%s.%s", what, key);
	tally_ynode_describe(p->key, got, sizeof(got));
	if (!strcmp(key, "type"))
		return 0;
	if (strcmp(key, "address") && strcmp(key, "url") && strcmp(key, "listen"))
		return tally_ynode_error(p->key, ld->err, ld->err_len, "%s: unknown key %s", what,
		                         got);
	if (!needs || strcmp(key, needs))
		return tally_ynode_error(p->key, ld->err, ld->err_len,
		                         "%s: key %s does not apply to a %s output", what, got,
		                         output_types[type].type);
	if (!strcmp(key, "url"))
		return tally_config_get_url(ld, p->value, name, &o->url);
	return tally_config_get_host_port(ld, p->value, name, !strcmp(key, "listen"),
	                                  !strcmp(key, "listen") ? &o->listen : &o->address);
}

static int
parse_output(struct tally_config_loader *ld, const struct tally_ynode *m, const char *what,
             struct tally_output_conf *o)
{
	const char *needs;
	int type = 0, rc;

	if (m->kind != TALLY_YNODE_MAP)
		return tally_config_expected(ld, m, what, "a map like {type: console}");
	rc = output_type(ld, m, what, &type);
	for (size_t i = 0; !rc && i < m->n; i++)
		rc = output_key(ld, &m->pairs[i], what, type, o);
	if (rc)
		return rc;
	o->type = tally_xstrdup(output_types[type].type);
	needs = output_types[type].needs;
	if (needs && !o->address && !o->url && !o->listen)
		return tally_ynode_error(m, ld->err, ld->err_len, "%s: type %s needs %s", what,
		                         o->type, needs);
	if (!ld->env) {
		o->line = m->line;
		o->col = m->col;
	}
	return 0;
}

int
tally_config_set_outputs(struct tally_config_loader *ld, const struct tally_config_key *k,
                         const struct tally_ynode *v, const char *what)
{
	struct tally_output_conf *o = NULL;
	char name[64];
	int rc = 0;

	if (v->kind != TALLY_YNODE_SEQ)
		return tally_config_expected(ld, v, "outputs", "a list");
	o = tally_xcalloc(v->n + 1, sizeof(*o));
	for (size_t i = 0; !rc && i < v->n; i++)
		rc = parse_output(ld, v->items[i],
		                  tally_config_item_name(name, sizeof(name), "outputs", i), &o[i]);
	if (rc) {
		tally_config_outputs_free(o, v->n);
		return rc;
	}
	tally_config_outputs_free(ld->cfg->outputs, ld->cfg->n_outputs);
	ld->cfg->outputs = o;
	ld->cfg->n_outputs = v->n;
	return 0;
}
