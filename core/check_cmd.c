#include "check_cmd.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tally/check.h>

#include "check_deriv.h"
#include "check_loader.h"
#include "check_sink.h"
#include "confd.h"
#include "config.h"
#include "log.h"

/* Rate baselines one instance may keep during the command. */
#define CMD_DERIV_MAX 100000

struct cmd {
	const struct tally_config *cfg;
	bool json, rate;
	FILE *out, *err;
};

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
report_err(void *arg, const char *msg)
{
	fprintf(arg, "%s\n", msg);
}

/* One run of ci; prints it when print is set. Returns run()'s result. */
static int
run_once(const struct cmd *cmd, const struct tally_plugin *p, struct tally_confd_instance *ci,
         const char *const *tags, size_t n_tags, struct tally_check_deriv *deriv, bool print)
{
	struct tally_check_sink_opts o = {
		.check = ci->check,
		.instance = ci->id,
		.host = cmd->cfg->hostname ? cmd->cfg->hostname : "",
		.tags = tags,
		.n_tags = n_tags,
		.deriv = deriv,
		.now_s = mono_s(),
		.wall_s = (int64_t)time(NULL),
	};
	struct tally_check_ctx *ctx = tally_check_sink_new(&o);
	int rc = p->desc->run(ci->state, tally_check_sink_ops(), ctx);
	struct tally_check_run *run = tally_check_sink_finish(ctx);

	if (print) {
		if (!cmd->json)
			fprintf(cmd->out, "=== %s (%s:%d)\n", ci->id, ci->file, ci->line);
		tally_check_run_print(run, cmd->json, cmd->out);
	}
	if (rc < 0)
		fprintf(cmd->err, "tally check: %s: run failed: %s\n", ci->id,
		        run->last_error ? run->last_error : strerror(-rc));
	tally_check_run_free(run);
	return rc;
}

/* init, one or two runs, destroy. Returns 0 or 1 (failed). */
static int
run_instance(const struct cmd *cmd, const struct tally_plugin *p, struct tally_confd_instance *ci)
{
	const struct tally_check_plugin *d = p->desc;
	size_t n_tags = ci->n_tags + cmd->cfg->n_tags;
	const char **tags = calloc(n_tags + 1, sizeof(*tags));
	struct tally_check_deriv *deriv = tally_check_deriv_new(CMD_DERIV_MAX);
	char why[512] = "";
	int rc = 0, runs = cmd->rate ? 2 : 1;

	for (size_t i = 0; tags && i < n_tags; i++)
		tags[i] = i < ci->n_tags ? ci->tags[i] : cmd->cfg->tags[i - ci->n_tags];
	if (!tags) {
		rc = -1;
	} else if (d->init && (rc = d->init(ci->state, why, sizeof(why))) < 0) {
		fprintf(cmd->err, "tally check: %s: init failed: %s\n", ci->id,
		        why[0] ? why : strerror(-rc));
	} else {
		for (int r = 0; r < runs && rc >= 0; r++) {
			if (r > 0)
				sleep(1);
			rc = run_once(cmd, p, ci, tags, n_tags, deriv, r == runs - 1);
		}
		if (d->destroy)
			d->destroy(ci->state);
	}
	tally_check_deriv_free(deriv);
	free(tags);
	return rc < 0 ? 1 : 0;
}

/* Finds and loads NAME.so; NULL (with a message on err) when missing or refused. */
static struct tally_plugin *
find_plugin(const struct cmd *cmd, const char *name, struct tally_plugin_list *list)
{
	const struct tally_config *cfg = cmd->cfg;
	size_t refused = tally_plugin_scan((const char *const *)cfg->checksd_paths,
	                                   cfg->n_checksd_paths, name, NULL, list);

	if (list->n)
		return list->items[0];
	if (refused) {
		fprintf(cmd->err, "tally check: %s.so was refused (see the log line above)\n",
		        name);
		return NULL;
	}
	fprintf(cmd->err, "tally check: no check named %s: no %s.so in checksd_path (", name, name);
	for (size_t i = 0; i < cfg->n_checksd_paths; i++)
		fprintf(cmd->err, "%s%s", i ? ", " : "", cfg->checksd_paths[i]);
	fprintf(cmd->err, ")\n");
	return NULL;
}

int
tally_check_run_command(const struct tally_config *cfg, const char *name, bool json, bool rate,
                        FILE *out, FILE *err)
{
	struct cmd cmd = { cfg, json, rate, out, err };
	struct tally_plugin_list plugins = { 0 };
	struct tally_confd_list list = { 0 };
	struct tally_plugin *p;
	int status = 0;

	if (!name || !name[0]) {
		fprintf(err, "usage: tally check NAME [-c FILE] [--json] [--rate]\n");
		return 2;
	}
	p = find_plugin(&cmd, name, &plugins);
	if (!p)
		return 1;
	if (tally_confd_load(cfg->confd_path, p->desc, &list, report_err, err) > 0)
		status = 1;
	if (list.n == 0 && status == 0) {
		fprintf(err,
		        "tally check: check %s has no instance: write %s/%s.yaml with "
		        "instances:\n",
		        name, cfg->confd_path ? cfg->confd_path : "conf.d", name);
		status = 1;
	}
	for (size_t i = 0; i < list.n; i++)
		status |= run_instance(&cmd, p, list.items[i]);
	tally_confd_list_clear(&list);
	tally_plugin_list_clear(&plugins);
	return status;
}

int
tally_check_command(const char *config_path, const char *name, bool json, bool rate)
{
	char err[1024];
	struct tally_config *cfg = tally_config_load(config_path, err, sizeof(err));
	int status;

	if (!cfg) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	tally_log_set_level(cfg->log_level < TALLY_LOG_WARN ? cfg->log_level : TALLY_LOG_WARN);
	status = tally_check_run_command(cfg, name, json, rate, stdout, stderr);
	tally_config_free(cfg);
	return status;
}
