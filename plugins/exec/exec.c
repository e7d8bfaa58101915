/*
 * exec: runs a command plugin each collection and turns what it prints into submissions.
 *
 * One instance is one command. format says how its stdout reads: `nagios` (exit status ->
 * service check, perfdata -> gauges), `mackerel` (name\tvalue\tepoch -> timestamped gauges) or
 * `dogstatsd` (the agent's own parser through ops->dogstatsd). The service check named after
 * the instance's `name` reports the command's status, or UNKNOWN with the reason when it could
 * not be started, timed out or was killed. Running the command safely (process group,
 * deadline, bounded output, clean environment) is spawn.c's job.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tally/check.h>

#include "parse_out.h"
#include "spawn.h"

#define EXEC_MESSAGE_MAX    4096 /* bytes of a Nagios plugin's text kept in the message */
#define EXEC_STDERR_MAX     1024 /* bytes of stderr kept for the log line */
#define EXEC_STDERR_EVERY_S 60.0
#define EXEC_DEFAULT_PATH   "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum exec_format { FMT_NAGIOS, FMT_MACKEREL, FMT_DOGSTATSD };

struct exec_state {
	/* bound by the agent */
	const char *name;
	struct tally_check_strlist command;
	bool shell;
	double timeout;
	struct tally_check_strlist env;
	const char *format;
	const char *prefix;
	int64_t max_output;
	/* made by init */
	enum exec_format fmt;
	const char **argv;
	char **envp;
	char *name_tag;
	/* stderr log lines: at most one per EXEC_STDERR_EVERY_S, the others counted */
	double stderr_next_s;
	uint64_t stderr_quiet;
};

static const struct tally_check_conf exec_conf[] = {
	{ .key = "name",
	  .type = TALLY_CONF_STR,
	  .flags = TALLY_CONF_REQUIRED,
	  .offset = offsetof(struct exec_state, name),
	  .doc = "names the service check and the exec_name: tag" },
	{ .key = "command",
	  .type = TALLY_CONF_STRLIST,
	  .flags = TALLY_CONF_REQUIRED | TALLY_CONF_WHOLE,
	  .offset = offsetof(struct exec_state, command),
	  .doc = "argv list, run without a shell; one string only with shell: true" },
	{ .key = "shell",
	  .type = TALLY_CONF_BOOL,
	  .def = "false",
	  .offset = offsetof(struct exec_state, shell),
	  .doc = "run command (one string) with /bin/sh -c" },
	{ .key = "timeout",
	  .type = TALLY_CONF_DOUBLE,
	  .def = "10",
	  .min = 0.1,
	  .max = 86400,
	  .offset = offsetof(struct exec_state, timeout),
	  .doc = "seconds before the command's group gets SIGTERM (SIGKILL 1 s later)" },
	{ .key = "env",
	  .type = TALLY_CONF_STRLIST,
	  .flags = TALLY_CONF_PAIRS,
	  .offset = offsetof(struct exec_state, env),
	  .doc = "map (or KEY=VALUE list) added to the clean PATH/LANG environment" },
	{ .key = "format",
	  .type = TALLY_CONF_STR,
	  .def = "nagios",
	  .offset = offsetof(struct exec_state, format),
	  .doc = "nagios, mackerel or dogstatsd" },
	{ .key = "prefix",
	  .type = TALLY_CONF_STR,
	  .def = "",
	  .offset = offsetof(struct exec_state, prefix),
	  .doc = "prepended to metric names (nagios, mackerel)" },
	{ .key = "max_output",
	  .type = TALLY_CONF_INT,
	  .def = "1048576",
	  .min = 1,
	  .max = 1 << 30,
	  .offset = offsetof(struct exec_state, max_output),
	  .doc = "bytes of stdout kept; the rest is read, discarded and counted" },
	{ 0 },
};

/* Names an instance's env may not set: the agent's own and its secrets'. */
static bool
env_forbidden(const char *kv)
{
	return strncmp(kv, "DD_", 3) == 0 || strncmp(kv, "TALLY_", 6) == 0;
}

static int
build_env(struct exec_state *st, char *err, size_t err_len)
{
	size_t n = 0;
	bool has_path = false, has_lang = false;

	st->envp = calloc(st->env.n + 3, sizeof(*st->envp));
	if (!st->envp)
		return -ENOMEM;
	for (size_t i = 0; i < st->env.n; i++) {
		const char *kv = st->env.items[i], *eq = strchr(kv, '=');

		if (!eq || eq == kv) {
			snprintf(err, err_len, "env: \"%s\" is not KEY=VALUE", kv);
			return -EINVAL;
		}
		if (env_forbidden(kv)) {
			snprintf(err, err_len,
			         "env: %.*s: DD_* and TALLY_* are never passed to commands",
			         (int)(eq - kv), kv);
			return -EINVAL;
		}
		has_path |= strncmp(kv, "PATH=", 5) == 0;
		has_lang |= strncmp(kv, "LANG=", 5) == 0;
		st->envp[n++] = strdup(kv);
	}
	/* C: decimal points, not commas, in what Nagios plugins print. */
	if (!has_lang)
		st->envp[n++] = strdup("LANG=C");
	if (!has_path)
		st->envp[n++] = strdup("PATH=" EXEC_DEFAULT_PATH);
	for (size_t i = 0; i < n; i++) {
		if (!st->envp[i])
			return -ENOMEM;
	}
	return 0;
}

static int
build_argv(struct exec_state *st, char *err, size_t err_len)
{
	size_t n = st->command.n;

	if (n == 0) {
		snprintf(err, err_len, "command: empty");
		return -EINVAL;
	}
	if (st->shell && n != 1) {
		snprintf(err, err_len, "command: with shell: true, one string (got a list of %zu)",
		         n);
		return -EINVAL;
	}
	st->argv = calloc(n + 3, sizeof(*st->argv));
	if (!st->argv)
		return -ENOMEM;
	if (st->shell) {
		st->argv[0] = "/bin/sh";
		st->argv[1] = "-c";
		st->argv[2] = st->command.items[0];
	} else {
		for (size_t i = 0; i < n; i++)
			st->argv[i] = st->command.items[i];
	}
	return 0;
}

static void exec_destroy(void *state);

static int
exec_init(void *state, char *err, size_t err_len)
{
	struct exec_state *st = state;
	int rc;

	if (strcmp(st->format, "nagios") == 0) {
		st->fmt = FMT_NAGIOS;
	} else if (strcmp(st->format, "mackerel") == 0) {
		st->fmt = FMT_MACKEREL;
	} else if (strcmp(st->format, "dogstatsd") == 0) {
		st->fmt = FMT_DOGSTATSD;
	} else {
		snprintf(err, err_len, "format: \"%s\" is not nagios, mackerel or dogstatsd",
		         st->format);
		return -EINVAL;
	}
	if (!st->name[0]) {
		snprintf(err, err_len, "name: empty");
		return -EINVAL;
	}
	rc = build_argv(st, err, err_len);
	if (rc == 0)
		rc = build_env(st, err, err_len);
	if (rc == 0) {
		st->name_tag = malloc(strlen(st->name) + sizeof("exec_name:"));
		if (!st->name_tag)
			rc = -ENOMEM;
		else
			sprintf(st->name_tag, "exec_name:%s", st->name);
	}
	if (rc == -ENOMEM)
		snprintf(err, err_len, "out of memory");
	if (rc < 0)
		exec_destroy(st);
	return rc;
}

/* What one run hands to the format's parser callbacks. */
struct exec_run {
	struct exec_state *st;
	const struct tally_check_ops *ops;
	struct tally_check_ctx *ctx;
	const char *tags[1];
	size_t bad;
	char name[EXEC_LABEL_MAX * 2 + 2];
};

/* <prefix><label>, the label's characters outside [A-Za-z0-9._-] as '_' ("/var" -> "_var"). */
static const char *
metric_name(struct exec_run *r, const char *label)
{
	size_t n = (size_t)snprintf(r->name, sizeof(r->name), "%s", r->st->prefix);

	for (const char *p = label; *p && n + 1 < sizeof(r->name); p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';

		r->name[n++] = ok ? c : '_';
	}
	r->name[n] = '\0';
	return r->name;
}

static void
on_perf(void *arg, const struct exec_perf_item *it)
{
	struct exec_run *r = arg;
	const char *name = metric_name(r, it->label);
	int rc = it->kind == EXEC_PERF_COUNTER
	             ? r->ops->monotonic_count(r->ctx, name, it->value, r->tags, 1)
	             : r->ops->gauge(r->ctx, name, it->value, r->tags, 1);

	if (rc < 0)
		r->bad++;
}

/* Nagios' statuses: 0..3 as they are, anything else UNKNOWN. */
static enum tally_check_status
nagios_status(int code)
{
	return code >= 0 && code <= 3 ? (enum tally_check_status)code : TALLY_CHECK_UNKNOWN;
}

static void
run_nagios(struct exec_run *r, const struct exec_spawn_result *res, enum tally_check_status *status,
           char *msg, size_t msg_size)
{
	r->bad += exec_nagios(res->out, res->out_len, msg, msg_size - 1, on_perf, r);
	*status = nagios_status(WEXITSTATUS(res->wait_status));
}

/* An agent without gauge_at gets the value as of now. */
static int
submit_at(struct exec_run *r, const char *name, double value, int64_t epoch)
{
	if (TALLY_CHECK_HAS_OP(r->ops, gauge_at))
		return r->ops->gauge_at(r->ctx, name, value, epoch, r->tags, 1);
	return r->ops->gauge(r->ctx, name, value, r->tags, 1);
}

static void
run_mackerel(struct exec_run *r, const struct exec_spawn_result *res)
{
	const char *p = res->out, *end = res->out + res->out_len;
	struct exec_mackerel_line ml;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;

		if (e > p && !(e - p == 1 && *p == '\r')) {
			if (exec_mackerel_line(p, (size_t)(e - p), &ml) < 0)
				r->bad++;
			else if (submit_at(r, metric_name(r, ml.name), ml.value, ml.epoch) < 0)
				r->bad++;
		}
		p = nl ? nl + 1 : end;
	}
}

static void
run_dogstatsd(struct exec_run *r, const struct exec_spawn_result *res)
{
	size_t bad = 0;

	if (r->ops->dogstatsd(r->ctx, res->out, res->out_len, &bad) < 0)
		bad++;
	r->bad += bad;
}

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * One log line of what the command wrote to stderr, on one line; a command that writes to
 * stderr every run is logged once a minute, with the number of runs not logged.
 */
static void
log_stderr(struct exec_run *r, const struct exec_spawn_result *res)
{
	char line[EXEC_STDERR_MAX + 1], quiet[64] = "";
	size_t n = 0;
	double now = mono_now();

	if (now < r->st->stderr_next_s) {
		r->st->stderr_quiet++;
		return;
	}
	r->st->stderr_next_s = now + EXEC_STDERR_EVERY_S;

	for (size_t i = 0; i < res->err_len && n < EXEC_STDERR_MAX; i++) {
		unsigned char c = (unsigned char)res->err[i];

		line[n++] = c == '\n' ? '|' : (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	while (n && (line[n - 1] == '|' || line[n - 1] == ' '))
		n--;
	line[n] = '\0';
	if (r->st->stderr_quiet)
		snprintf(quiet, sizeof(quiet), " (also in %llu runs not logged)",
		         (unsigned long long)r->st->stderr_quiet);
	r->ops->log(r->ctx, TALLY_CHECK_LOG_WARN, "command %s wrote to stderr%s%s: %s", r->st->name,
	            quiet, res->err_dropped ? " (cut)" : "", line);
	r->st->stderr_quiet = 0;
}

/* Why the command did not simply exit: "" when it did. */
static void
abnormal(const struct exec_state *st, const struct exec_spawn_result *res, char *why, size_t size)
{
	why[0] = '\0';
	if (res->timed_out)
		snprintf(why, size, "command timed out after %g s and was %s", st->timeout,
		         res->killed ? "killed (SIGKILL)" : "terminated (SIGTERM)");
	else if (WIFSIGNALED(res->wait_status))
		snprintf(why, size, "command was killed by signal %d (%s)",
		         WTERMSIG(res->wait_status), strsignal(WTERMSIG(res->wait_status)));
}

static int
exec_run(void *state, const struct tally_check_ops *ops, struct tally_check_ctx *ctx)
{
	struct exec_state *st = state;
	struct exec_run r = { .st = st, .ops = ops, .ctx = ctx, .tags = { st->name_tag } };
	struct exec_spawn_opts o = { .argv = st->argv,
		                     .envp = (const char *const *)st->envp,
		                     .timeout_s = st->timeout,
		                     .max_stdout = (size_t)st->max_output,
		                     .max_stderr = EXEC_STDERR_MAX };
	struct exec_spawn_result res;
	enum tally_check_status status = TALLY_CHECK_OK;
	char msg[EXEC_MESSAGE_MAX + 1] = "", why[256];

	if (st->fmt == FMT_DOGSTATSD && !TALLY_CHECK_HAS_OP(ops, dogstatsd)) {
		ops->log(ctx, TALLY_CHECK_LOG_ERROR, "format: dogstatsd needs a newer agent");
		return -ENOSYS;
	}
	exec_spawn_run(&o, &res);
	if (res.spawn_errno) {
		snprintf(msg, sizeof(msg), "cannot run %s: %s", st->argv[0],
		         strerror(res.spawn_errno));
		ops->log(ctx, TALLY_CHECK_LOG_WARN, "%s", msg);
		ops->service_check(ctx, st->name, TALLY_CHECK_UNKNOWN, r.tags, 1, msg);
		return 0;
	}
	if (res.err_len)
		log_stderr(&r, &res);
	if (res.out_dropped)
		ops->log(ctx, TALLY_CHECK_LOG_WARN,
		         "command %s printed over max_output (%lld bytes): %llu bytes discarded",
		         st->name, (long long)st->max_output, (unsigned long long)res.out_dropped);
	if (res.group_left)
		ops->log(ctx, TALLY_CHECK_LOG_WARN,
		         "command %s left processes in its group; they were killed", st->name);
	if (st->fmt == FMT_NAGIOS)
		run_nagios(&r, &res, &status, msg, sizeof(msg));
	else if (st->fmt == FMT_MACKEREL)
		run_mackerel(&r, &res);
	else
		run_dogstatsd(&r, &res);
	abnormal(st, &res, why, sizeof(why));
	if (why[0]) {
		status = TALLY_CHECK_UNKNOWN;
		snprintf(msg, sizeof(msg), "%s", why);
		ops->log(ctx, TALLY_CHECK_LOG_WARN, "%s: %s", st->name, why);
	} else if (st->fmt != FMT_NAGIOS && WEXITSTATUS(res.wait_status) != 0) {
		status = TALLY_CHECK_UNKNOWN;
		snprintf(msg, sizeof(msg), "command exited with status %d",
		         WEXITSTATUS(res.wait_status));
	}
	ops->service_check(ctx, st->name, status, r.tags, 1, msg);
	ops->count(ctx, "tally.exec.bad_lines", (double)r.bad, r.tags, 1);
	ops->count(ctx, "tally.exec.discarded_bytes", (double)res.out_dropped, r.tags, 1);
	exec_spawn_result_free(&res);
	return 0;
}

static void
exec_destroy(void *state)
{
	struct exec_state *st = state;

	for (size_t i = 0; st->envp && st->envp[i]; i++)
		free(st->envp[i]);
	free(st->envp);
	free(st->argv);
	free(st->name_tag);
	st->envp = NULL;
	st->argv = NULL;
	st->name_tag = NULL;
}

static const struct tally_check_plugin exec_check = {
	.abi_version = TALLY_CHECK_ABI_VERSION,
	.struct_size = sizeof(struct tally_check_plugin),
	.name = "exec",
	.version = "1.0.0",
	.state_size = sizeof(struct exec_state),
	.conf = exec_conf,
	.init = exec_init,
	.run = exec_run,
	.destroy = exec_destroy,
};

TALLY_CHECK_DEFINE(exec_check)
