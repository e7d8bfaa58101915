#include "check_cmd.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tally/check.h>

#include "check_deriv.h"
#include "check_loader.h"
#include "check_sink.h"
#include "clock.h"
#include "confd.h"
#include "config.h"
#include "log.h"

/* Rate baselines one instance may keep during the command. */
#define CMD_DERIV_MAX 100000

struct cmd {
	const struct tally_config *cfg;
	bool json, rate;
	FILE *out, *err;
	bool abandoned; /* a run timed out and still runs: keep what it borrows */
};

/*
 * One run on its own thread. The command waits for it up to the instance's timeout; a run
 * that does not return in time is abandoned: the thread then owns the job and frees it (and
 * the run) if the check ever returns. Everything the run borrows is left allocated.
 */
struct run_job {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const struct tally_check_plugin *desc;
	struct tally_confd_instance *ci;
	struct tally_check_ctx *ctx;
	int rc;
	bool done, abandoned;
};

static void
report_err(void *arg, const char *msg)
{
	fprintf(arg, "%s\n", msg);
}

static void
run_job_free(struct run_job *job)
{
	pthread_cond_destroy(&job->cond);
	pthread_mutex_destroy(&job->lock);
	free(job);
}

static void *
run_job_main(void *arg)
{
	struct run_job *job = arg;
	int rc = job->desc->run(job->ci->state, tally_check_sink_ops(), job->ctx);
	bool abandoned;

	pthread_mutex_lock(&job->lock);
	job->rc = rc;
	job->done = true;
	abandoned = job->abandoned;
	pthread_cond_signal(&job->cond);
	pthread_mutex_unlock(&job->lock);
	if (abandoned) {
		tally_check_run_free(tally_check_sink_finish(job->ctx));
		run_job_free(job);
	}
	return NULL;
}

static struct run_job *
run_job_new(const struct tally_plugin *p, struct tally_confd_instance *ci,
            struct tally_check_ctx *ctx)
{
	struct run_job *job = calloc(1, sizeof(*job));
	pthread_condattr_t attr;

	if (!job)
		return NULL;
	job->desc = p->desc;
	job->ci = ci;
	job->ctx = ctx;
	pthread_mutex_init(&job->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&job->cond, &attr);
	pthread_condattr_destroy(&attr);
	return job;
}

/*
 * Runs ci on a thread and waits up to its timeout. Returns run()'s result, -ETIMEDOUT when it
 * was abandoned (the job and ctx then belong to the thread), or -errno when no thread starts.
 */
static int
run_with_timeout(const struct tally_plugin *p, struct tally_confd_instance *ci,
                 struct tally_check_ctx *ctx)
{
	struct run_job *job = run_job_new(p, ci, ctx);
	double deadline_s = tally_mono_s() + ci->timeout_s;
	struct timespec ts = { (time_t)deadline_s,
		               (long)((deadline_s - (double)(time_t)deadline_s) * 1e9) };
	pthread_t tid;
	int rc;

	if (!job)
		return -ENOMEM;
	rc = pthread_create(&tid, NULL, run_job_main, job);
	if (rc != 0) {
		run_job_free(job);
		return -rc;
	}
	pthread_mutex_lock(&job->lock);
	while (!job->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&job->cond, &job->lock, &ts);
	job->abandoned = !job->done;
	rc = job->rc;
	pthread_mutex_unlock(&job->lock);
	if (job->abandoned) {
		pthread_detach(tid);
		return -ETIMEDOUT;
	}
	pthread_join(tid, NULL);
	run_job_free(job);
	return rc;
}

/* One run of ci; prints it when print is set. Returns run()'s result or -ETIMEDOUT. */
static int
run_once(struct cmd *cmd, const struct tally_plugin *p, struct tally_confd_instance *ci,
         const char *const *tags, size_t n_tags, struct tally_check_deriv *deriv, bool print)
{
	struct tally_check_sink_opts o = {
		.check = ci->check,
		.instance = ci->id,
		.host = cmd->cfg->hostname ? cmd->cfg->hostname : "",
		.tags = tags,
		.n_tags = n_tags,
		.deriv = deriv,
		.now_s = tally_mono_s(),
		.wall_s = (int64_t)time(NULL),
	};
	struct tally_check_ctx *ctx = tally_check_sink_new(&o);
	int rc = run_with_timeout(p, ci, ctx);
	struct tally_check_run *run;

	if (rc == -ETIMEDOUT) {
		fprintf(cmd->err,
		        "tally check: check %s instance %zu (%s:%d): run timed out after %g s\n",
		        ci->check, ci->index, ci->file, ci->line, ci->timeout_s);
		cmd->abandoned = true;
		return rc;
	}
	run = tally_check_sink_finish(ctx);
	if (print && !getenv("TALLY_CHECK_STATS")) { /* --stats: the check prints its table */
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

/*
 * init, one or two runs, destroy. Returns 0 or 1 (failed). After a timeout the instance is
 * not destroyed and its tags and rate baselines stay allocated: the abandoned run uses them.
 */
static int
run_instance(struct cmd *cmd, const struct tally_plugin *p, struct tally_confd_instance *ci)
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
		if (rc == -ETIMEDOUT)
			return 1;
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

static int
run_command(struct cmd *cmd, const char *name)
{
	FILE *err = cmd->err;
	struct tally_plugin_list plugins = { 0 };
	struct tally_confd_list list = { 0 };
	struct tally_plugin *p;
	int status = 0;

	if (!name || !name[0]) {
		fprintf(err, "usage: tally check NAME [-c FILE] [--json] [--rate]\n");
		return 2;
	}
	p = find_plugin(cmd, name, &plugins);
	if (!p)
		return 1;
	if (tally_confd_load(cmd->cfg->confd_path, p->desc, &list, report_err, err) > 0)
		status = 1;
	if (list.n == 0 && status == 0) {
		fprintf(err,
		        "tally check: check %s has no instance: write %s/%s.yaml with "
		        "instances:\n",
		        name, cmd->cfg->confd_path ? cmd->cfg->confd_path : "conf.d", name);
		status = 1;
	}
	for (size_t i = 0; i < list.n; i++) {
		bool before = cmd->abandoned;

		status |= run_instance(cmd, p, list.items[i]);
		if (cmd->abandoned && !before)
			list.items[i] = NULL; /* the abandoned run's now */
	}
	tally_confd_list_clear(&list);
	if (!cmd->abandoned) /* else the plugin's code may still be running */
		tally_plugin_list_clear(&plugins);
	return status;
}

int
tally_check_run_command(const struct tally_config *cfg, const char *name, bool json, bool rate,
                        FILE *out, FILE *err)
{
	struct cmd cmd = { cfg, json, rate, out, err, false };

	return run_command(&cmd, name);
}

int
tally_check_command(const char *config_path, const char *name, bool json, bool rate)
{
	char err[1024];
	struct tally_config *cfg = tally_config_load(config_path, err, sizeof(err));
	struct cmd cmd = { cfg, json, rate, stdout, stderr, false };
	int status;

	if (!cfg) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	tally_log_set_level(cfg->log_level < TALLY_LOG_WARN ? cfg->log_level : TALLY_LOG_WARN);
	status = run_command(&cmd, name);
	if (cmd.abandoned) {
		/*
		 * A stuck run cannot be cancelled safely and still uses the config, its instance
		 * and the plugin: end the process here, without freeing under it or running exit
		 * handlers (which would report what it holds as leaked).
		 */
		fflush(NULL);
		_exit(status ? status : 1);
	}
	tally_config_free(cfg);
	return status;
}
