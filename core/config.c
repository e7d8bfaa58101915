/*
 * config.c: loading the configuration. The key table, the file and DD_<KEY> environment
 * sources applied through it, defaults and derived defaults, new/free/load. The setters are in
 * config_set.c and config_outputs.c, printing in config_print.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"
#include "config_internal.h"
#include "forwarder.h"
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

#define OFF(f) offsetof(struct tally_config, f)
#define FLD(n, fn, f)                                                                              \
	{                                                                                          \
		.name = n, .set = fn, .env = TALLY_CONFIG_ENV_SCALAR, .off = OFF(f)                \
	}
#define INT(n, f, type, lo, hi)                                                                    \
	{                                                                                          \
		.name = n, .set = tally_config_set_integer, .env = TALLY_CONFIG_ENV_SCALAR,        \
		.off = OFF(f), .field = type, .min = lo, .max = hi                                 \
	}
#define NUM(n, fn, f, lo, hi)                                                                      \
	{                                                                                          \
		.name = n, .set = fn, .env = TALLY_CONFIG_ENV_SCALAR, .off = OFF(f), .min = lo,    \
		.max = hi                                                                          \
	}
#define LIST(n, form, f, f_n)                                                                      \
	{                                                                                          \
		.name = n, .set = tally_config_set_strlist, .env = form, .off = OFF(f),            \
		.off_n = OFF(f_n)                                                                  \
	}
#define OWN(n, fn, form)                                                                           \
	{                                                                                          \
		.name = n, .set = fn, .env = form                                                  \
	}

/* DESIGN.md's "Configuration" table, plus `site` and `status_listen`. */
static const struct tally_config_key keys[] = {
	FLD("api_key", tally_config_set_opt_str, api_key),
	FLD("dd_url", tally_config_set_url, dd_url),
	OWN("site", tally_config_set_site, TALLY_CONFIG_ENV_SCALAR),
	FLD("hostname", tally_config_set_req_str, hostname),
	LIST("tags", TALLY_CONFIG_ENV_WORDS, tags, n_tags),
	FLD("bind_host", tally_config_set_req_str, bind_host),
	INT("dogstatsd_port", dogstatsd_port, TALLY_CONFIG_F_INT, 0, 65535),
	FLD("dogstatsd_non_local_traffic", tally_config_set_bool, dogstatsd_non_local_traffic),
	FLD("dogstatsd_socket", tally_config_set_opt_str, dogstatsd_socket),
	NUM("dogstatsd_buffer_size", tally_config_set_size, dogstatsd_buffer_size, 512, 65536),
	NUM("dogstatsd_so_rcvbuf", tally_config_set_size, dogstatsd_so_rcvbuf, 0, INT_MAX),
	INT("dogstatsd_context_limit", dogstatsd_context_limit, TALLY_CONFIG_F_SIZE, 1, 1e9),
	INT("dogstatsd_expiry_seconds", dogstatsd_expiry_seconds, TALLY_CONFIG_F_U32, 0,
	    30 * 86400),
	INT("flush_interval", flush_interval, TALLY_CONFIG_F_U32, 1, 3600),
	OWN("histogram_aggregates", tally_config_set_aggregates, TALLY_CONFIG_ENV_WORDS),
	OWN("histogram_percentiles", tally_config_set_percentiles, TALLY_CONFIG_ENV_WORDS),
	FLD("confd_path", tally_config_set_req_str, confd_path),
	LIST("checksd_path", TALLY_CONFIG_ENV_PATHS, checksd_paths, n_checksd_paths),
	INT("check_runners", check_runners, TALLY_CONFIG_F_UINT, 1, 64),
	OWN("outputs", tally_config_set_outputs, TALLY_CONFIG_ENV_YAML),
	NUM("forwarder_retry_queue_max_size", tally_config_set_size, forwarder_retry_queue_max_size,
	    0, 64.0 * (1ull << 30)),
	FLD("forwarder_storage_path", tally_config_set_opt_str, forwarder_storage_path),
	NUM("forwarder_storage_max_size", tally_config_set_size, forwarder_storage_max_size, 0,
	    1.0 * (1ull << 40)),
	NUM("forwarder_timeout", tally_config_set_seconds, forwarder_timeout, 0.001, 3600),
	NUM("forwarder_stop_timeout", tally_config_set_seconds, forwarder_stop_timeout, 0, 3600),
	INT("forwarder_num_workers", forwarder_num_workers, TALLY_CONFIG_F_UINT, 1,
	    TALLY_FWD_WORKERS_MAX),
	OWN("log_level", tally_config_set_log_level, TALLY_CONFIG_ENV_SCALAR),
	FLD("log_file", tally_config_set_opt_str, log_file),
	OWN("status_listen", tally_config_set_status_listen, TALLY_CONFIG_ENV_SCALAR),
	FLD("dogstatsd_origin_detection_client", tally_config_set_bool,
	    dogstatsd_origin_detection_client),
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/*
 * Keys of a Datadog agent's datadog.yaml that mean nothing to Tally: accepted so that an
 * existing file loads, and named in one warning. Anything else unknown is a typo until proven
 * otherwise.
 */
static const char *const ignored_keys[] = {
	"additional_endpoints",
	"apm_config",
	"cloud_provider_metadata",
	"cluster_agent",
	"cluster_checks",
	"cluster_name",
	"cmd_host",
	"cmd_port",
	"collect_ec2_tags",
	"collect_gce_tags",
	"compliance_config",
	"config_providers",
	"dogstatsd_origin_detection",
	"dogstatsd_queue_size",
	"dogstatsd_tags",
	"enable_gohai",
	"enable_metadata_collection",
	"env",
	"expvar_port",
	"gui_port",
	"health_port",
	"hostname_fqdn",
	"inventories_enabled",
	"listeners",
	"log_file_max_rolls",
	"log_file_max_size",
	"log_format_json",
	"log_to_console",
	"log_to_syslog",
	"logs_config",
	"logs_enabled",
	"min_tls_version",
	"network_config",
	"otlp_config",
	"process_config",
	"proxy",
	"remote_configuration",
	"runtime_security_config",
	"skip_ssl_validation",
	"statsd_metric_namespace",
	"system_probe_config",
	"use_dogstatsd",
};

static const struct tally_config_key *
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
unknown_key(struct tally_config_loader *ld, const struct tally_ynode *key)
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
note_ignored(struct tally_config_loader *ld, const char *name)
{
	size_t len = ld->ignored ? strlen(ld->ignored) : 0;

	ld->ignored = tally_xrealloc(ld->ignored, len + strlen(name) + 2);
	sprintf(ld->ignored + len, "%s%s", len ? "," : "", name);
}

/* Null means "not given": the default (or the file's value, for env) stays. */
static int
apply(struct tally_config_loader *ld, const struct tally_config_key *k, const struct tally_ynode *v,
      const char *what)
{
	if (v->kind == TALLY_YNODE_NULL)
		return 0;
	ld->set[k - keys] = true;
	return k->set(ld, k, v, what);
}

/* With a report callback (configcheck) an error is reported and the next key is read. */
static int
go_on(struct tally_config_loader *ld, int rc)
{
	if (!rc || !ld->report)
		return rc;
	ld->report(ld->report_arg, ld->err);
	ld->n_errors++;
	ld->err[0] = '\0';
	return 0;
}

static int
apply_file(struct tally_config_loader *ld, const struct tally_ydoc *doc)
{
	const struct tally_ynode *root = doc->root;
	char got[96];
	int rc = 0;

	if (root->kind == TALLY_YNODE_NULL)
		return 0;
	if (root->kind != TALLY_YNODE_MAP) {
		tally_ynode_describe(root, got, sizeof(got));
		return tally_ynode_error(root, ld->err, ld->err_len,
		                         "expected a map of settings at the top level, got %s",
		                         got);
	}
	for (size_t i = 0; !rc && i < root->n; i++) {
		const struct tally_ypair *p = &root->pairs[i];
		const struct tally_config_key *k = find_key(p->key->text);

		if (k) {
			rc = apply(ld, k, p->value, k->name);
		} else if (is_ignored_key(p->key->text)) {
			note_ignored(ld, p->key->text);
		} else {
			rc = unknown_key(ld, p->key);
		}
		rc = go_on(ld, rc);
	}
	return rc;
}

static struct tally_ydoc *
env_doc(const struct tally_config_key *k, const char *name, const char *value, char *err,
        size_t err_len)
{
	switch (k->env) {
	case TALLY_CONFIG_ENV_WORDS:
		return tally_ydoc_from_text(name, value, " ,");
	case TALLY_CONFIG_ENV_PATHS:
		return tally_ydoc_from_text(name, value, ":");
	case TALLY_CONFIG_ENV_YAML:
		return tally_ydoc_load_string(name, value, strlen(value), err, err_len);
	default:
		return tally_ydoc_from_text(name, value, NULL);
	}
}

/* DD_<KEY> wins over the file; an empty variable counts as unset. */
static int
apply_env(struct tally_config_loader *ld)
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
		if (!doc) {
			rc = go_on(ld, -EINVAL);
			continue;
		}
		rc = go_on(ld, apply(ld, &keys[i], doc->root, NULL));
		tally_ydoc_free(doc);
	}
	return rc;
}

static bool
was_set(const struct tally_config_loader *ld, const char *name)
{
	return ld->set[find_key(name) - keys];
}

/* Defaults that depend on other keys, once every source has been applied. */
static void
derive(struct tally_config_loader *ld)
{
	struct tally_config *cfg = ld->cfg;

	if (cfg->dogstatsd_non_local_traffic && !was_set(ld, "bind_host"))
		tally_config_replace_str(&cfg->bind_host, "0.0.0.0");
	if (ld->site && !was_set(ld, "dd_url")) {
		free(cfg->dd_url);
		cfg->dd_url = tally_xmalloc(strlen(ld->site) + sizeof("https://api."));
		sprintf(cfg->dd_url, "https://api.%s", ld->site);
	}
	if (!cfg->n_outputs && !cfg->api_key) {
		tally_config_outputs_free(cfg->outputs, 0);
		cfg->outputs = tally_xcalloc(1, sizeof(*cfg->outputs));
		cfg->outputs[0].type = tally_xstrdup("console");
		cfg->n_outputs = 1;
	}
	if (ld->ignored)
		TALLY_WARN("config",
		           "ignoring datadog.yaml keys that tally does not use file=%s "
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
	cfg->forwarder_num_workers = 1;
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
	tally_config_outputs_free(cfg->outputs, cfg->n_outputs);
	free(cfg->forwarder_storage_path);
	free(cfg->log_file);
	free(cfg->status_listen);
	free(cfg);
}

static struct tally_config *
load(const char *path, struct tally_config_loader *ld)
{
	struct tally_ydoc *doc;
	int rc;

	if (ld->err_len)
		ld->err[0] = '\0';
	ld->cfg = config_new(path);
	if (path) {
		doc = tally_ydoc_load_file(path, ld->err, ld->err_len);
		if (!doc && go_on(ld, -EINVAL))
			goto fail;
		rc = doc ? apply_file(ld, doc) : 0;
		tally_ydoc_free(doc);
		if (rc)
			goto fail;
	}
	if (apply_env(ld))
		goto fail;
	derive(ld);
	free(ld->site);
	free(ld->ignored);
	return ld->cfg;
fail:
	free(ld->site);
	free(ld->ignored);
	tally_config_free(ld->cfg);
	return NULL;
}

struct tally_config *
tally_config_load(const char *path, char *err, size_t err_len)
{
	bool set[N_KEYS] = { false };
	char scratch[1];
	struct tally_config_loader ld = { .set = set, .err = err, .err_len = err_len };

	if (!err || !err_len) {
		ld.err = scratch;
		ld.err_len = sizeof(scratch);
	}
	return load(path, &ld);
}

struct tally_config *
tally_config_load_all(const char *path, void (*report)(void *arg, const char *msg), void *arg,
                      size_t *n_errors)
{
	bool set[N_KEYS] = { false };
	char err[1024];
	struct tally_config_loader ld = {
		.set = set, .err = err, .err_len = sizeof(err), .report = report, .report_arg = arg
	};
	struct tally_config *cfg = load(path, &ld);

	*n_errors = ld.n_errors;
	return cfg;
}
