/*
 * config_set.c: the typed setters of the key table (strings, URLs, integers, sizes, seconds,
 * booleans, lists, log level, listen address, histogram aggregates and percentiles) and the
 * helpers they share with config_outputs.c.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agg.h"
#include "config.h"
#include "config_internal.h"
#include "log.h"
#include "xmem.h"
#include "ytree.h"

#define MAX_PERCENTILES 32

#define FIELD(f) (void *)((char *)ld->cfg + k->f)

/* NULL when s is "", so that `foo: ""` and an unset key mean the same. */
void
tally_config_replace_str(char **dst, const char *s)
{
	free(*dst);
	*dst = *s ? tally_xstrdup(s) : NULL;
}

/* "what: expected <want>, got <v>" at v; what is NULL for the environment (no prefix). */
int
tally_config_expected(struct tally_config_loader *ld, const struct tally_ynode *v, const char *what,
                      const char *want)
{
	char got[96];

	tally_ynode_describe(v, got, sizeof(got));
	return tally_ynode_error(v, ld->err, ld->err_len, "%s%sexpected %s, got %s",
	                         what ? what : "", what ? ": " : "", want, got);
}

int
tally_config_set_opt_str(struct tally_config_loader *ld, const struct tally_config_key *k,
                         const struct tally_ynode *v, const char *what)
{
	const char *s;
	int rc = tally_ynode_str(v, what, &s, ld->err, ld->err_len);

	if (!rc)
		tally_config_replace_str(FIELD(off), s);
	return rc;
}

int
tally_config_set_req_str(struct tally_config_loader *ld, const struct tally_config_key *k,
                         const struct tally_ynode *v, const char *what)
{
	const char *s = "";
	int rc = tally_ynode_str(v, what, &s, ld->err, ld->err_len);

	if (!rc && !*s)
		rc = tally_ynode_error(v, ld->err, ld->err_len, "%s%sexpected a non-empty string",
		                       what ? what : "", what ? ": " : "");
	if (!rc)
		tally_config_replace_str(FIELD(off), s);
	return rc;
}

static bool
is_http_url(const char *s)
{
	return (!strncmp(s, "http://", 7) && s[7]) || (!strncmp(s, "https://", 8) && s[8]);
}

/* An http(s) URL without its trailing '/', as dd_url and output urls are stored. */
int
tally_config_get_url(struct tally_config_loader *ld, const struct tally_ynode *v, const char *what,
                     char **out)
{
	const char *s;
	size_t len;
	int rc = tally_ynode_str(v, what, &s, ld->err, ld->err_len);

	if (rc)
		return rc;
	if (!is_http_url(s))
		return tally_config_expected(ld, v, what, "an http:// or https:// URL");
	len = strlen(s);
	while (len > 8 && s[len - 1] == '/')
		len--;
	*out = tally_xstrndup(s, len);
	return 0;
}

int
tally_config_set_url(struct tally_config_loader *ld, const struct tally_config_key *k,
                     const struct tally_ynode *v, const char *what)
{
	char *url;
	int rc = tally_config_get_url(ld, v, what, &url);

	if (!rc) {
		free(*(char **)FIELD(off));
		*(char **)FIELD(off) = url;
	}
	return rc;
}

int
tally_config_set_site(struct tally_config_loader *ld, const struct tally_config_key *k,
                      const struct tally_ynode *v, const char *what)
{
	const char *s;
	int rc = tally_ynode_str(v, what, &s, ld->err, ld->err_len);

	if (!rc)
		tally_config_replace_str(&ld->site, s);
	return rc;
}

static void
store_integer(void *p, enum tally_config_field field, int64_t v)
{
	switch (field) {
	case TALLY_CONFIG_F_INT:
		*(int *)p = (int)v;
		break;
	case TALLY_CONFIG_F_UINT:
		*(unsigned *)p = (unsigned)v;
		break;
	case TALLY_CONFIG_F_U32:
		*(uint32_t *)p = (uint32_t)v;
		break;
	case TALLY_CONFIG_F_SIZE:
		*(size_t *)p = (size_t)v;
		break;
	}
}

int
tally_config_set_integer(struct tally_config_loader *ld, const struct tally_config_key *k,
                         const struct tally_ynode *v, const char *what)
{
	int64_t x;
	int rc =
	    tally_ynode_int64(v, what, (int64_t)k->min, (int64_t)k->max, &x, ld->err, ld->err_len);

	if (!rc)
		store_integer(FIELD(off), k->field, x);
	return rc;
}

int
tally_config_set_size(struct tally_config_loader *ld, const struct tally_config_key *k,
                      const struct tally_ynode *v, const char *what)
{
	uint64_t x;
	int rc =
	    tally_ynode_size(v, what, (uint64_t)k->min, (uint64_t)k->max, &x, ld->err, ld->err_len);

	if (!rc)
		*(size_t *)FIELD(off) = (size_t)x;
	return rc;
}

int
tally_config_set_seconds(struct tally_config_loader *ld, const struct tally_config_key *k,
                         const struct tally_ynode *v, const char *what)
{
	return tally_ynode_double(v, what, k->min, k->max, FIELD(off), ld->err, ld->err_len);
}

int
tally_config_set_bool(struct tally_config_loader *ld, const struct tally_config_key *k,
                      const struct tally_ynode *v, const char *what)
{
	return tally_ynode_bool(v, what, FIELD(off), ld->err, ld->err_len);
}

/* tags: a list, or one string of space/comma-separated tags as in DD_TAGS. */
int
tally_config_set_strlist(struct tally_config_loader *ld, const struct tally_config_key *k,
                         const struct tally_ynode *v, const char *what)
{
	const char *seps = k->env == TALLY_CONFIG_ENV_WORDS ? " ," : NULL;
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

int
tally_config_set_log_level(struct tally_config_loader *ld, const struct tally_config_key *k,
                           const struct tally_ynode *v, const char *what)
{
	const char *s = NULL;
	int level = -EINVAL;

	if (!tally_ynode_str(v, what, &s, NULL, 0))
		level = tally_log_level_parse(s);
	if (level < 0)
		return tally_config_expected(ld, v, what, "error, warn, info or debug");
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

int
tally_config_get_host_port(struct tally_config_loader *ld, const struct tally_ynode *v,
                           const char *what, bool empty_host, char **out)
{
	const char *s;
	int rc = tally_ynode_str(v, what, &s, ld->err, ld->err_len);

	if (rc)
		return rc;
	if (!is_host_port(s, empty_host))
		return tally_config_expected(ld, v, what, "host:port");
	*out = tally_xstrdup(s);
	return 0;
}

int
tally_config_set_status_listen(struct tally_config_loader *ld, const struct tally_config_key *k,
                               const struct tally_ynode *v, const char *what)
{
	char *listen = NULL;
	int rc = 0;

	if (v->kind != TALLY_YNODE_SCALAR || (strcmp(v->text, "") && strcmp(v->text, "0")))
		rc = tally_config_get_host_port(ld, v, what, true, &listen);
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
const char *
tally_config_item_name(char *buf, size_t size, const char *what, size_t i)
{
	if (!what)
		return NULL;
	snprintf(buf, size, "%s[%zu]", what, i);
	return buf;
}

static int
aggregate_bit(struct tally_config_loader *ld, const struct tally_ynode *v, const char *what,
              unsigned *bits)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "max", TALLY_HAGG_MAX },       { "min", TALLY_HAGG_MIN },
		{ "median", TALLY_HAGG_MEDIAN }, { "avg", TALLY_HAGG_AVG },
		{ "sum", TALLY_HAGG_SUM },       { "count", TALLY_HAGG_COUNT },
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
	return tally_config_expected(ld, v, what, "max, min, median, avg, sum or count");
}

int
tally_config_set_aggregates(struct tally_config_loader *ld, const struct tally_config_key *k,
                            const struct tally_ynode *v, const char *what)
{
	struct tally_ydoc *tmp;
	const struct tally_ynode *seq = as_seq(v, " ,", &tmp);
	unsigned bits = 0;
	char name[64];
	int rc = 0;

	if (seq->kind != TALLY_YNODE_SEQ)
		rc = tally_config_expected(ld, v, what, "a list");
	for (size_t i = 0; !rc && i < seq->n; i++)
		rc = aggregate_bit(ld, seq->items[i],
		                   tally_config_item_name(name, sizeof(name), what, i), &bits);
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
percentile(struct tally_config_loader *ld, const struct tally_ynode *v, const char *what,
           double *out)
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
	return tally_config_expected(ld, v, what,
	                             "a fraction 0..1 (0.95) or a whole percent 1..100 (95)");
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

int
tally_config_set_percentiles(struct tally_config_loader *ld, const struct tally_config_key *k,
                             const struct tally_ynode *v, const char *what)
{
	struct tally_ydoc *tmp;
	const struct tally_ynode *seq = as_seq(v, " ,", &tmp);
	double *ps = NULL;
	char name[64];
	int rc = 0;

	if (seq->kind != TALLY_YNODE_SEQ)
		rc = tally_config_expected(ld, v, what, "a list");
	else if (seq->n > MAX_PERCENTILES)
		rc = tally_ynode_error(v, ld->err, ld->err_len, "%s%sat most %d percentiles",
		                       what ? what : "", what ? ": " : "", MAX_PERCENTILES);
	else
		ps = tally_xcalloc(seq->n + 1, sizeof(*ps));
	for (size_t i = 0; !rc && i < seq->n; i++)
		rc = percentile(ld, seq->items[i],
		                tally_config_item_name(name, sizeof(name), what, i), &ps[i]);
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
