#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agg.h"
#include "log.h"
#include "xmem.h"
#include "ytree.h"

#ifndef TALLY_SRCDIR
#define TALLY_SRCDIR "."
#endif
#ifndef TALLY_BUILDDIR
#define TALLY_BUILDDIR "."
#endif
#ifndef TALLY_SYSCONFDIR
#define TALLY_SYSCONFDIR "/etc/tally"
#endif
#ifndef TALLY_PKGLIBDIR
#define TALLY_PKGLIBDIR "/usr/lib/tally"
#endif

#define MAX_PERCENTILES 32

struct key;

/* State of one load: what was set explicitly, so derived defaults do not override it. */
struct loader {
	struct tally_config *cfg;
	bool *set;    /* per key of the table */
	bool env;     /* applying environment overrides */
	char *site;   /* datadog.yaml `site`: dd_url is derived from it unless given */
	char *ignored; /* well-known datadog.yaml keys we skip, for one log line */
	char *err;
	size_t err_len;
};

/* The integer field types that set_integer() can store into. */
enum field { F_INT, F_UINT, F_U32, F_SIZE };

/* How DD_<KEY> is read: one value, a list split at spaces/commas or ':', or YAML text. */
enum env_form { ENV_SCALAR, ENV_WORDS, ENV_PATHS, ENV_YAML };

struct key {
	const char *name;
	int (*set)(struct loader *ld, const struct key *k, const struct tally_ynode *v,
		   const char *what);
	enum env_form env;
	size_t off, off_n; /* the field in struct tally_config, and its count for lists */
	enum field field;
	double min, max;
};

#define FIELD(f) (void *)((char *)ld->cfg + k->f)

/* NULL when s is "", so that `foo: ""` and an unset key mean the same. */
static void
replace_str(char **dst, const char *s)
{
	free(*dst);
	*dst = *s ? tally_xstrdup(s) : NULL;
}

/* "what: expected <want>, got <v>" at v; what is NULL for the environment (no prefix). */
static int
expected(struct loader *ld, const struct tally_ynode *v, const char *what, const char *want)
{
	char got[96];

	tally_ynode_describe(v, got, sizeof(got));
	return tally_ynode_error(v, ld->err, ld->err_len, "%s%sexpected %s, got %s",
				 what ? what : "", what ? ": " : "", want, got);
}

static int
set_opt_str(struct loader *ld, const struct key *k, const struct tally_ynode *v, const char *what)
{
	const char *s;
	int rc = tally_ynode_str(v, what, &s, ld->err, ld->err_len);

	if (!rc)
		replace_str(FIELD(off), s);
	return rc;
}

static int
set_req_str(struct loader *ld, const struct key *k, const struct tally_ynode *v, const char *what)
{
	const char *s = "";
	int rc = tally_ynode_str(v, what, &s, ld->err, ld->err_len);

	if (!rc && !*s)
		rc = tally_ynode_error(v, ld->err, ld->err_len, "%s%sexpected a non-empty string",
				       what ? what : "", what ? ": " : "");
	if (!rc)
		replace_str(FIELD(off), s);
	return rc;
}

static bool
is_http_url(const char *s)
{
	return (!strncmp(s, "http://", 7) && s[7]) || (!strncmp(s, "https://", 8) && s[8]);
}

/* An http(s) URL without its trailing '/', as dd_url and output urls are stored. */
static int
get_url(struct loader *ld, const struct tally_ynode *v, const char *what, char **out)
{
	const char *s;
	size_t len;
	int rc = tally_ynode_str(v, what, &s, ld->err, ld->err_len);

	if (rc)
		return rc;
	if (!is_http_url(s))
		return expected(ld, v, what, "an http:// or https:// URL");
	len = strlen(s);
	while (len > 8 && s[len - 1] == '/')
		len--;
	*out = tally_xstrndup(s, len);
	return 0;
}

static int
set_url(struct loader *ld, const struct key *k, const struct tally_ynode *v, const char *what)
{
	char *url;
	int rc = get_url(ld, v, what, &url);

	if (!rc) {
		free(*(char **)FIELD(off));
		*(char **)FIELD(off) = url;
	}
	return rc;
}

static int
set_site(struct loader *ld, const struct key *k, const struct tally_ynode *v, const char *what)
{
	const char *s;
	int rc = tally_ynode_str(v, what, &s, ld->err, ld->err_len);

	if (!rc)
		replace_str(&ld->site, s);
	return rc;
}

static void
store_integer(void *p, enum field field, int64_t v)
{
	switch (field) {
	case F_INT:
		*(int *)p = (int)v;
		break;
	case F_UINT:
		*(unsigned *)p = (unsigned)v;
		break;
	case F_U32:
		*(uint32_t *)p = (uint32_t)v;
		break;
	case F_SIZE:
		*(size_t *)p = (size_t)v;
		break;
	}
}

static int
set_integer(struct loader *ld, const struct key *k, const struct tally_ynode *v, const char *what)
{
	int64_t x;
	int rc = tally_ynode_int64(v, what, (int64_t)k->min, (int64_t)k->max, &x, ld->err,
				   ld->err_len);

	if (!rc)
		store_integer(FIELD(off), k->field, x);
	return rc;
}

static int
set_size(struct loader *ld, const struct key *k, const struct tally_ynode *v, const char *what)
{
	uint64_t x;
	int rc = tally_ynode_size(v, what, (uint64_t)k->min, (uint64_t)k->max, &x, ld->err,
				  ld->err_len);

	if (!rc)
		*(size_t *)FIELD(off) = (size_t)x;
	return rc;
}

static int
set_seconds(struct loader *ld, const struct key *k, const struct tally_ynode *v, const char *what)
{
	return tally_ynode_double(v, what, k->min, k->max, FIELD(off), ld->err, ld->err_len);
}

static int
set_bool(struct loader *ld, const struct key *k, const struct tally_ynode *v, const char *what)
{
	return tally_ynode_bool(v, what, FIELD(off), ld->err, ld->err_len);
}

/* tags: a list, or one string of space/comma-separated tags as in DD_TAGS. */
static int
set_strlist(struct loader *ld, const struct key *k, const struct tally_ynode *v, const char *what)
{
	const char *seps = k->env == ENV_WORDS ? " ," : NULL;
	char **list;
	size_t n;
	int rc = tally_ynode_strlist(v, what, seps, &list, &n, ld->err, ld->err_len);

	if (rc)
		return rc;
	tally_ystrlist_free(*(char ***)FIELD(off), *(size_t *)FIELD(off_n));
	*(char ***)FIELD(off) = list;
	*(size_t *)FIELD(off_n) = n;
	return 0;
}

static int
set_log_level(struct loader *ld, const struct key *k, const struct tally_ynode *v,
	      const char *what)
{
	const char *s = NULL;
	int level = -EINVAL;

	if (!tally_ynode_str(v, what, &s, NULL, 0))
		level = tally_log_level_parse(s);
	if (level < 0)
		return expected(ld, v, what, "error, warn, info or debug");
	ld->cfg->log_level = level;
	return 0;
}

/* "host:port" with a port 1..65535; the host may be empty (all addresses) if allowed. */
static bool
is_host_port(const char *s, bool empty_host)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || (colon == s && !empty_host) || !colon[1] || colon[1] == '-' ||
	    colon[1] == '+')
		return false;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return !*end && !errno && port >= 1 && port <= 65535;
}

static int
get_host_port(struct loader *ld, const struct tally_ynode *v, const char *what, bool empty_host,
	      char **out)
{
	const char *s;
	int rc = tally_ynode_str(v, what, &s, ld->err, ld->err_len);

	if (rc)
		return rc;
	if (!is_host_port(s, empty_host))
		return expected(ld, v, what, "host:port");
	*out = tally_xstrdup(s);
	return 0;
}

static int
set_status_listen(struct loader *ld, const struct key *k, const struct tally_ynode *v,
		  const char *what)
{
	char *listen = NULL;
	int rc = 0;

	if (v->kind != TALLY_YNODE_SCALAR || (strcmp(v->text, "") && strcmp(v->text, "0")))
		rc = get_host_port(ld, v, what, true, &listen);
	if (!rc) {
		free(ld->cfg->status_listen);
		ld->cfg->status_listen = listen;
	}
	return rc;
}


/*
 * A list value as a sequence: v itself, or for one scalar its pieces split at seps, each placed
 * where the scalar is so that messages still point at it. The caller frees *tmp.
 */
static const struct tally_ynode *
as_seq(const struct tally_ynode *v, const char *seps, struct tally_ydoc **tmp)
{
	*tmp = NULL;
	if (v->kind != TALLY_YNODE_SCALAR || strlen(v->text) != v->len)
		return v;
	*tmp = tally_ydoc_from_text(v->file, v->text, seps);
	for (size_t i = 0; i < (*tmp)->root->n; i++) {
		(*tmp)->root->items[i]->line = v->line;
		(*tmp)->root->items[i]->col = v->col;
	}
	return (*tmp)->root;
}

/* "what[i]" into buf, or NULL (no prefix) when what is. */
static const char *
item_name(char *buf, size_t size, const char *what, size_t i)
{
	if (!what)
		return NULL;
	snprintf(buf, size, "%s[%zu]", what, i);
	return buf;
}

static int
aggregate_bit(struct loader *ld, const struct tally_ynode *v, const char *what, unsigned *bits)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "max", TALLY_HAGG_MAX }, { "min", TALLY_HAGG_MIN }, { "median", TALLY_HAGG_MEDIAN },
		{ "avg", TALLY_HAGG_AVG }, { "sum", TALLY_HAGG_SUM }, { "count", TALLY_HAGG_COUNT },
	};
	const char *s;
	int rc = tally_ynode_str(v, what, &s, ld->err, ld->err_len);

	if (rc)
		return rc;
	for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
		if (!strcasecmp(s, names[j].name)) {
			*bits |= names[j].bit;
			return 0;
		}
	}
	return expected(ld, v, what, "max, min, median, avg, sum or count");
}

static int
set_aggregates(struct loader *ld, const struct key *k, const struct tally_ynode *v,
	       const char *what)
{
	struct tally_ydoc *tmp;
	const struct tally_ynode *seq = as_seq(v, " ,", &tmp);
	unsigned bits = 0;
	char name[64];
	int rc = 0;

	if (seq->kind != TALLY_YNODE_SEQ)
		rc = expected(ld, v, what, "a list");
	for (size_t i = 0; !rc && i < seq->n; i++)
		rc = aggregate_bit(ld, seq->items[i], item_name(name, sizeof(name), what, i), &bits);
	if (!rc)
		ld->cfg->histogram_aggregates = bits;
	tally_ydoc_free(tmp);
	return rc;
}

/*
 * A percentile as a fraction: 0.95 (0 < p < 1, or 1.0 written with a point) or a whole percent
 * 1..100 (95), so that both Datadog's form and the habit of writing p95 as 95 work.
 */
static int
percentile(struct loader *ld, const struct tally_ynode *v, const char *what, double *out)
{
	double p = 0;

	if (!tally_ynode_double(v, what, -DBL_MAX, DBL_MAX, &p, NULL, 0)) {
		if (p > 0 && p < 1) {
			*out = p;
			return 0;
		}
		if (p == 1 && strpbrk(v->text, ".eE")) {
			*out = 1;
			return 0;
		}
		if (p >= 1 && p <= 100 && p == floor(p)) {
			*out = p / 100;
			return 0;
		}
	}
	return expected(ld, v, what, "a fraction 0..1 (0.95) or a whole percent 1..100 (95)");
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorted and without duplicates, so "95" and "0.95" do not emit the same series twice. */
static size_t
sort_unique(double *v, size_t n)
{
	size_t out = 0;

	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n; i++) {
		if (!out || v[out - 1] != v[i])
			v[out++] = v[i];
	}
	return out;
}

static int
set_percentiles(struct loader *ld, const struct key *k, const struct tally_ynode *v,
		const char *what)
{
	struct tally_ydoc *tmp;
	const struct tally_ynode *seq = as_seq(v, " ,", &tmp);
	double *ps = NULL;
	char name[64];
	int rc = 0;

	if (seq->kind != TALLY_YNODE_SEQ)
		rc = expected(ld, v, what, "a list");
	else if (seq->n > MAX_PERCENTILES)
		rc = tally_ynode_error(v, ld->err, ld->err_len, "%s%sat most %d percentiles",
				       what ? what : "", what ? ": " : "", MAX_PERCENTILES);
	else
		ps = tally_xcalloc(seq->n + 1, sizeof(*ps));
	for (size_t i = 0; !rc && i < seq->n; i++)
		rc = percentile(ld, seq->items[i], item_name(name, sizeof(name), what, i), &ps[i]);
	if (!rc) {
		free(ld->cfg->histogram_percentiles);
		ld->cfg->histogram_percentiles = ps;
		ld->cfg->n_histogram_percentiles = sort_unique(ps, seq->n);
		ps = NULL;
	}
	free(ps);
	tally_ydoc_free(tmp);
	return rc;
}

static void
outputs_free(struct tally_output_conf *o, size_t n)
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
	{ "console", NULL },	     { "graphite", "address" }, { "influxdb", "url" },
	{ "prometheus", "listen" }, { "datadog", "url" },
};

static int
output_type(struct loader *ld, const struct tally_ynode *m, const char *what, int *type)
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
	return tally_ynode_error(v, ld->err, ld->err_len,
				 "%s: unknown output type %s (expected console, graphite, influxdb, "
				 "prometheus or datadog)",
				 name, got);
}

static int
output_key(struct loader *ld, const struct tally_ypair *p, const char *what, int type,
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
		return get_url(ld, p->value, name, &o->url);
	return get_host_port(ld, p->value, name, !strcmp(key, "listen"),
			     !strcmp(key, "listen") ? &o->listen : &o->address);
}

static int
parse_output(struct loader *ld, const struct tally_ynode *m, const char *what,
	     struct tally_output_conf *o)
{
	const char *needs;
	int type = 0, rc;

	if (m->kind != TALLY_YNODE_MAP)
		return expected(ld, m, what, "a map like {type: console}");
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

static int
set_outputs(struct loader *ld, const struct key *k, const struct tally_ynode *v,
	    const char *what)
{
	struct tally_output_conf *o = NULL;
	char name[64];
	int rc = 0;

	if (v->kind != TALLY_YNODE_SEQ)
		return expected(ld, v, "outputs", "a list");
	o = tally_xcalloc(v->n + 1, sizeof(*o));
	for (size_t i = 0; !rc && i < v->n; i++)
		rc = parse_output(ld, v->items[i], item_name(name, sizeof(name), "outputs", i),
				  &o[i]);
	if (rc) {
		outputs_free(o, v->n);
		return rc;
	}
	outputs_free(ld->cfg->outputs, ld->cfg->n_outputs);
	ld->cfg->outputs = o;
	ld->cfg->n_outputs = v->n;
	return 0;
}

#define OFF(f) offsetof(struct tally_config, f)
#define FLD(n, fn, f)                                                                              \
	{ .name = n, .set = fn, .env = ENV_SCALAR, .off = OFF(f) }
#define INT(n, f, type, lo, hi)                                                                    \
	{ .name = n, .set = set_integer, .env = ENV_SCALAR, .off = OFF(f), .field = type,          \
	  .min = lo, .max = hi }
#define NUM(n, fn, f, lo, hi)                                                                      \
	{ .name = n, .set = fn, .env = ENV_SCALAR, .off = OFF(f), .min = lo, .max = hi }
#define LIST(n, form, f, f_n)                                                                      \
	{ .name = n, .set = set_strlist, .env = form, .off = OFF(f), .off_n = OFF(f_n) }
#define OWN(n, fn, form)                                                                           \
	{ .name = n, .set = fn, .env = form }

/* DESIGN.md's "Configuration" table, plus `site` and `status_listen`. */
static const struct key keys[] = {
	FLD("api_key", set_opt_str, api_key),
	FLD("dd_url", set_url, dd_url),
	OWN("site", set_site, ENV_SCALAR),
	FLD("hostname", set_req_str, hostname),
	LIST("tags", ENV_WORDS, tags, n_tags),
	FLD("bind_host", set_req_str, bind_host),
	INT("dogstatsd_port", dogstatsd_port, F_INT, 0, 65535),
	FLD("dogstatsd_non_local_traffic", set_bool, dogstatsd_non_local_traffic),
	FLD("dogstatsd_socket", set_opt_str, dogstatsd_socket),
	NUM("dogstatsd_buffer_size", set_size, dogstatsd_buffer_size, 512, 65536),
	NUM("dogstatsd_so_rcvbuf", set_size, dogstatsd_so_rcvbuf, 0, INT_MAX),
	INT("dogstatsd_context_limit", dogstatsd_context_limit, F_SIZE, 1, 1e9),
	INT("dogstatsd_expiry_seconds", dogstatsd_expiry_seconds, F_U32, 0, 30 * 86400),
	INT("flush_interval", flush_interval, F_U32, 1, 3600),
	OWN("histogram_aggregates", set_aggregates, ENV_WORDS),
	OWN("histogram_percentiles", set_percentiles, ENV_WORDS),
	FLD("confd_path", set_req_str, confd_path),
	LIST("checksd_path", ENV_PATHS, checksd_paths, n_checksd_paths),
	INT("check_runners", check_runners, F_UINT, 1, 64),
	OWN("outputs", set_outputs, ENV_YAML),
	NUM("forwarder_retry_queue_max_size", set_size, forwarder_retry_queue_max_size, 0,
	    64.0 * (1ull << 30)),
	FLD("forwarder_storage_path", set_opt_str, forwarder_storage_path),
	NUM("forwarder_storage_max_size", set_size, forwarder_storage_max_size, 0,
	    1.0 * (1ull << 40)),
	NUM("forwarder_timeout", set_seconds, forwarder_timeout, 0.001, 3600),
	NUM("forwarder_stop_timeout", set_seconds, forwarder_stop_timeout, 0, 3600),
	OWN("log_level", set_log_level, ENV_SCALAR),
	FLD("log_file", set_opt_str, log_file),
	OWN("status_listen", set_status_listen, ENV_SCALAR),
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/*
 * Keys of a Datadog agent's datadog.yaml that mean nothing to Tally: accepted so that an
 * existing file loads, and named in one warning. Anything else unknown is a typo until proven
 * otherwise.
 */
static const char *const ignored_keys[] = {
	"additional_endpoints", "apm_config", "cloud_provider_metadata", "cluster_agent",
	"cluster_checks", "cluster_name", "cmd_host", "cmd_port", "collect_ec2_tags",
	"collect_gce_tags", "compliance_config", "config_providers", "dogstatsd_origin_detection",
	"dogstatsd_queue_size", "dogstatsd_tags", "enable_gohai", "enable_metadata_collection",
	"env", "expvar_port", "gui_port", "health_port", "hostname_fqdn", "inventories_enabled",
	"listeners", "log_file_max_rolls", "log_file_max_size", "log_format_json", "log_to_console",
	"log_to_syslog", "logs_config", "logs_enabled", "min_tls_version", "network_config",
	"otlp_config", "process_config", "proxy", "remote_configuration", "runtime_security_config",
	"skip_ssl_validation", "statsd_metric_namespace", "system_probe_config", "use_dogstatsd",
};

static const struct key *
find_key(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	}
	return NULL;
}

/* Levenshtein distance of two short strings; SIZE_MAX when one is too long to bother. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], diag, up;

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = diag + (a[i - 1] != b[j - 1]);

			up = row[j];
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The key a typo most likely meant (two edits at most), or NULL. */
static const char *
suggest_key(const char *name)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t i = 0; i < N_KEYS; i++) {
		size_t d = edit_distance(name, keys[i].name);

		if (d < best_d) {
			best_d = d;
			best = keys[i].name;
		}
	}
	return best;
}

static int
unknown_key(struct loader *ld, const struct tally_ynode *key)
{
	const char *hint = suggest_key(key->text);
	char got[96];

	tally_ynode_describe(key, got, sizeof(got));
	if (hint)
		return tally_ynode_error(key, ld->err, ld->err_len,
					 "unknown key %s (did you mean %s?)", got, hint);
	return tally_ynode_error(key, ld->err, ld->err_len, "unknown key %s", got);
}

static bool
is_ignored_key(const char *name)
{
	for (size_t i = 0; i < sizeof(ignored_keys) / sizeof(ignored_keys[0]); i++) {
		if (!strcmp(ignored_keys[i], name))
			return true;
	}
	return false;
}

static void
note_ignored(struct loader *ld, const char *name)
{
	size_t len = ld->ignored ? strlen(ld->ignored) : 0;

	ld->ignored = tally_xrealloc(ld->ignored, len + strlen(name) + 2);
	sprintf(ld->ignored + len, "%s%s", len ? "," : "", name);
}

/* Null means "not given": the default (or the file's value, for env) stays. */
static int
apply(struct loader *ld, const struct key *k, const struct tally_ynode *v, const char *what)
{
	if (v->kind == TALLY_YNODE_NULL)
		return 0;
	ld->set[k - keys] = true;
	return k->set(ld, k, v, what);
}

static int
apply_file(struct loader *ld, const struct tally_ydoc *doc)
{
	const struct tally_ynode *root = doc->root;
	char got[96];
	int rc = 0;

	if (root->kind == TALLY_YNODE_NULL)
		return 0;
	if (root->kind != TALLY_YNODE_MAP) {
		tally_ynode_describe(root, got, sizeof(got));
		return tally_ynode_error(root, ld->err, ld->err_len,
					 "expected a map of settings at the top level, got %s", got);
	}
	for (size_t i = 0; !rc && i < root->n; i++) {
		const struct tally_ypair *p = &root->pairs[i];
		const struct key *k = find_key(p->key->text);

		if (k) {
			rc = apply(ld, k, p->value, k->name);
		} else if (is_ignored_key(p->key->text)) {
			note_ignored(ld, p->key->text);
		} else {
			rc = unknown_key(ld, p->key);
		}
	}
	return rc;
}

static struct tally_ydoc *
env_doc(const struct key *k, const char *name, const char *value, char *err, size_t err_len)
{
	switch (k->env) {
	case ENV_WORDS:
		return tally_ydoc_from_text(name, value, " ,");
	case ENV_PATHS:
		return tally_ydoc_from_text(name, value, ":");
	case ENV_YAML:
		return tally_ydoc_load_string(name, value, strlen(value), err, err_len);
	default:
		return tally_ydoc_from_text(name, value, NULL);
	}
}

/* DD_<KEY> wins over the file; an empty variable counts as unset. */
static int
apply_env(struct loader *ld)
{
	struct tally_ydoc *doc;
	char name[64];
	int rc = 0;

	ld->env = true;
	for (size_t i = 0; !rc && i < N_KEYS; i++) {
		const char *value;
		size_t j;

		j = (size_t)snprintf(name, sizeof(name), "DD_%s", keys[i].name);
		while (j-- > 3)
			name[j] = (char)toupper((unsigned char)name[j]);
		value = getenv(name);
		if (!value || !*value)
			continue;
		doc = env_doc(&keys[i], name, value, ld->err, ld->err_len);
		if (!doc)
			return -EINVAL;
		rc = apply(ld, &keys[i], doc->root, NULL);
		tally_ydoc_free(doc);
	}
	return rc;
}

static bool
was_set(const struct loader *ld, const char *name)
{
	return ld->set[find_key(name) - keys];
}

/* Defaults that depend on other keys, once every source has been applied. */
static void
derive(struct loader *ld)
{
	struct tally_config *cfg = ld->cfg;

	if (cfg->dogstatsd_non_local_traffic && !was_set(ld, "bind_host"))
		replace_str(&cfg->bind_host, "0.0.0.0");
	if (ld->site && !was_set(ld, "dd_url")) {
		free(cfg->dd_url);
		cfg->dd_url = tally_xmalloc(strlen(ld->site) + sizeof("https://api."));
		sprintf(cfg->dd_url, "https://api.%s", ld->site);
	}
	if (!cfg->n_outputs && !cfg->api_key) {
		outputs_free(cfg->outputs, 0);
		cfg->outputs = tally_xcalloc(1, sizeof(*cfg->outputs));
		cfg->outputs[0].type = tally_xstrdup("console");
		cfg->n_outputs = 1;
	}
	if (ld->ignored)
		TALLY_WARN("config", "ignoring datadog.yaml keys that tally does not use file=%s "
				     "keys=%s",
			   cfg->source, ld->ignored);
}

/*
 * Run from the build tree (tests, ./tally during development), checks come from the tree;
 * installed, from the system folders. Judged by where the binary is, not by whether a source
 * tree happens to exist on the machine, so an installed tally never reads a developer's tree.
 */
static bool
in_build_tree(void)
{
	char exe[PATH_MAX], *build;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;
	bool in;

	if (n <= 0)
		return stat(TALLY_SRCDIR "/conf.d", &st) == 0 && S_ISDIR(st.st_mode);
	exe[n] = '\0';
	build = realpath(TALLY_BUILDDIR, NULL);
	in = build && !strncmp(exe, build, strlen(build)) && exe[strlen(build)] == '/';
	free(build);
	return in;
}

static char *
default_hostname(void)
{
	char name[256] = "";

	if (gethostname(name, sizeof(name) - 1) || !name[0])
		return tally_xstrdup("localhost");
	return tally_xstrdup(name);
}

static struct tally_config *
config_new(const char *path)
{
	struct tally_config *cfg = tally_xcalloc(1, sizeof(*cfg));
	bool tree = in_build_tree();

	cfg->source = tally_xstrdup(path ? path : "<embedded>");
	cfg->dd_url = tally_xstrdup("https://api.datadoghq.com");
	cfg->hostname = default_hostname();
	cfg->bind_host = tally_xstrdup("127.0.0.1");
	cfg->dogstatsd_port = 8125;
	cfg->dogstatsd_buffer_size = 8192;
	cfg->dogstatsd_so_rcvbuf = 8u << 20;
	cfg->dogstatsd_context_limit = 1000000;
	cfg->dogstatsd_expiry_seconds = 300;
	cfg->flush_interval = 10;
	cfg->histogram_aggregates = TALLY_HAGG_DEFAULT;
	cfg->histogram_percentiles = tally_xmalloc(sizeof(double));
	cfg->histogram_percentiles[0] = 0.95;
	cfg->n_histogram_percentiles = 1;
	cfg->confd_path = tally_xstrdup(tree ? TALLY_SRCDIR "/conf.d" : TALLY_SYSCONFDIR "/conf.d");
	cfg->checksd_paths = tally_xcalloc(2, sizeof(char *));
	cfg->checksd_paths[0] =
		tally_xstrdup(tree ? TALLY_BUILDDIR "/checks.d" : TALLY_PKGLIBDIR "/checks.d");
	cfg->n_checksd_paths = 1;
	cfg->check_runners = 4;
	cfg->forwarder_retry_queue_max_size = 15u << 20;
	cfg->forwarder_storage_max_size = 100u << 20;
	cfg->forwarder_timeout = 20;
	cfg->forwarder_stop_timeout = 5;
	cfg->log_level = TALLY_LOG_INFO;
	cfg->status_listen = tally_xstrdup("127.0.0.1:5000");
	return cfg;
}

void
tally_config_free(struct tally_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->source);
	free(cfg->api_key);
	free(cfg->dd_url);
	free(cfg->hostname);
	tally_ystrlist_free(cfg->tags, cfg->n_tags);
	free(cfg->bind_host);
	free(cfg->dogstatsd_socket);
	free(cfg->histogram_percentiles);
	free(cfg->confd_path);
	tally_ystrlist_free(cfg->checksd_paths, cfg->n_checksd_paths);
	outputs_free(cfg->outputs, cfg->n_outputs);
	free(cfg->forwarder_storage_path);
	free(cfg->log_file);
	free(cfg->status_listen);
	free(cfg);
}

struct tally_config *
tally_config_load(const char *path, char *err, size_t err_len)
{
	bool set[N_KEYS] = { false };
	struct loader ld = { .set = set, .err = err, .err_len = err_len };
	struct tally_ydoc *doc;
	int rc;

	if (err && err_len)
		err[0] = '\0';
	ld.cfg = config_new(path);
	if (path) {
		doc = tally_ydoc_load_file(path, err, err_len);
		if (!doc)
			goto fail;
		rc = apply_file(&ld, doc);
		tally_ydoc_free(doc);
		if (rc)
			goto fail;
	}
	if (apply_env(&ld))
		goto fail;
	derive(&ld);
	free(ld.site);
	free(ld.ignored);
	return ld.cfg;
fail:
	free(ld.site);
	free(ld.ignored);
	tally_config_free(ld.cfg);
	return NULL;
}

/* A YAML double-quoted string; NULL prints as null. */
static void
print_str(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void
print_key_str(FILE *out, const char *key, const char *s)
{
	fprintf(out, "%s: ", key);
	print_str(out, s);
	fputc('\n', out);
}

static void
print_list(FILE *out, const char *key, char *const *v, size_t n)
{
	fprintf(out, "%s: [", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		print_str(out, v[i]);
	}
	fputs("]\n", out);
}

static void
print_histograms(const struct tally_config *cfg, FILE *out)
{
	static const char *const names[] = { "max", "min", "median", "avg", "sum", "count" };
	const char *sep = "";

	fputs("histogram_aggregates: [", out);
	for (unsigned i = 0; i < 6; i++) {
		if (cfg->histogram_aggregates & (1u << i)) {
			fprintf(out, "%s%s", sep, names[i]);
			sep = ", ";
		}
	}
	fputs("]\nhistogram_percentiles: [", out);
	for (size_t i = 0; i < cfg->n_histogram_percentiles; i++) {
		double p = cfg->histogram_percentiles[i];

		/* 1.0 keeps its point: a bare 1 would read back as 1 percent */
		fprintf(out, p == 1 ? "%s%.1f" : "%s%.15g", i ? ", " : "", p);
	}
	fputs("]\n", out);
}

static void
print_outputs(const struct tally_config *cfg, FILE *out)
{
	fputs(cfg->n_outputs ? "outputs:\n" : "outputs: []\n", out);
	for (size_t i = 0; i < cfg->n_outputs; i++) {
		const struct tally_output_conf *o = &cfg->outputs[i];

		fprintf(out, "  - type: %s\n", o->type);
		if (o->address)
			print_key_str(out, "    address", o->address);
		if (o->url)
			print_key_str(out, "    url", o->url);
		if (o->listen)
			print_key_str(out, "    listen", o->listen);
	}
}

static void
print_api_key(const struct tally_config *cfg, FILE *out)
{
	char masked[16];
	size_t len;

	if (!cfg->api_key) {
		print_key_str(out, "api_key", NULL);
		return;
	}
	/* a key of five characters or fewer would be shown whole, so nothing is shown */
	len = strlen(cfg->api_key);
	snprintf(masked, sizeof(masked), "***%s", len > 5 ? cfg->api_key + len - 5 : "");
	print_key_str(out, "api_key", masked);
}

void
tally_config_print(const struct tally_config *cfg, FILE *out)
{
	static const char *const levels[] = { "error", "warn", "info", "debug" };

	fputs("# source: ", out);
	print_str(out, cfg->source);
	fputc('\n', out);
	print_api_key(cfg, out);
	print_key_str(out, "dd_url", cfg->dd_url);
	print_key_str(out, "hostname", cfg->hostname);
	print_list(out, "tags", cfg->tags, cfg->n_tags);
	print_key_str(out, "bind_host", cfg->bind_host);
	fprintf(out, "dogstatsd_port: %d\n", cfg->dogstatsd_port);
	fprintf(out, "dogstatsd_non_local_traffic: %s\n",
		cfg->dogstatsd_non_local_traffic ? "true" : "false");
	print_key_str(out, "dogstatsd_socket", cfg->dogstatsd_socket);
	fprintf(out, "dogstatsd_buffer_size: %zu\n", cfg->dogstatsd_buffer_size);
	fprintf(out, "dogstatsd_so_rcvbuf: %zu\n", cfg->dogstatsd_so_rcvbuf);
	fprintf(out, "dogstatsd_context_limit: %zu\n", cfg->dogstatsd_context_limit);
	fprintf(out, "dogstatsd_expiry_seconds: %u\n", (unsigned)cfg->dogstatsd_expiry_seconds);
	fprintf(out, "flush_interval: %u\n", (unsigned)cfg->flush_interval);
	print_histograms(cfg, out);
	print_key_str(out, "confd_path", cfg->confd_path);
	print_list(out, "checksd_path", cfg->checksd_paths, cfg->n_checksd_paths);
	fprintf(out, "check_runners: %u\n", cfg->check_runners);
	print_outputs(cfg, out);
	fprintf(out, "forwarder_retry_queue_max_size: %zu\n", cfg->forwarder_retry_queue_max_size);
	print_key_str(out, "forwarder_storage_path", cfg->forwarder_storage_path);
	fprintf(out, "forwarder_storage_max_size: %zu\n", cfg->forwarder_storage_max_size);
	fprintf(out, "forwarder_timeout: %g\n", cfg->forwarder_timeout);
	fprintf(out, "forwarder_stop_timeout: %g\n", cfg->forwarder_stop_timeout);
	fprintf(out, "log_level: %s\n",
		(unsigned)cfg->log_level < 4 ? levels[cfg->log_level] : "info");
	print_key_str(out, "log_file", cfg->log_file);
	print_key_str(out, "status_listen", cfg->status_listen ? cfg->status_listen : "");
}
