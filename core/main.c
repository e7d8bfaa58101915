/*
 * main: parses the command line and hands over to the command. Nothing else lives here.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "check_cmd.h"
#include "checks.h"
#include "config.h"
#include "log.h"
#include "status.h"

struct cli {
	const char *command;
	const char *config_path;
	const char *check_name;
	bool json;
	bool rate;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: tally run [-c FILE]\n"
	           "       tally check NAME [-c FILE] [--json] [--rate] [--stats]\n"
	           "       tally configcheck [-c FILE]\n"
	           "       tally status [-c FILE] [--json]\n"
	           "       tally health [-c FILE]\n"
	           "       tally version\n");
}

static int
parse_cli(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "rate", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "stats", no_argument, NULL, 's' }, /* a check's own table (docker stats) */
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	if (argc < 2)
		return -1;
	cli->command = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cli->config_path = optarg;
			break;
		case 'j':
			cli->json = true;
			break;
		case 'r':
			cli->rate = true;
			break;
		case 's':
			/*
			 * A check that prints a table of its own (docker: `docker stats`) does
			 * so when it sees TALLY_CHECK_STATS; it needs two samples, and the
			 * submissions are not printed (check_cmd.c).
			 */
			cli->rate = true;
			setenv("TALLY_CHECK_STATS", "1", 1);
			break;
		default:
			return -1;
		}
	}
	if (optind < argc)
		cli->check_name = argv[optind++];
	return optind < argc ? -1 : 0;
}

static struct tally_config *
load_config(const char *path)
{
	char err[1024];
	struct tally_config *cfg = tally_config_load(path, err, sizeof(err));

	if (!cfg)
		fprintf(stderr, "%s\n", err);
	return cfg;
}

static int
cmd_run(const struct cli *cli)
{
	struct tally_config *cfg = load_config(cli->config_path);
	int rc;

	if (!cfg)
		return 1;
	tally_log_set_level(cfg->log_level);
	if (tally_log_open(cfg->log_file) < 0) {
		fprintf(stderr, "cannot open log_file %s\n", cfg->log_file);
		tally_config_free(cfg);
		return 1;
	}
	rc = tally_agent_run(cfg);
	tally_log_close();
	tally_config_free(cfg);
	return rc;
}

static void
print_error(void *arg, const char *msg)
{
	fprintf(arg, "%s\n", msg);
}

/* Every error in one pass: the main file's, then each plugin's and conf.d file's. */
static int
cmd_configcheck(const struct cli *cli)
{
	size_t errors = 0;
	struct tally_config *cfg =
	    tally_config_load_all(cli->config_path, print_error, stderr, &errors);

	if (!cfg)
		return 1;
	tally_config_print(cfg, stdout);
	errors += tally_checks_configcheck(cfg, stdout, stderr);
	tally_config_free(cfg);
	if (errors)
		fprintf(stderr, "configcheck: %zu error%s\n", errors, errors == 1 ? "" : "s");
	return errors ? 1 : 0;
}

static int
cmd_check(const struct cli *cli)
{
	return tally_check_command(cli->config_path, cli->check_name, cli->json, cli->rate);
}

static int
cmd_status(const struct cli *cli)
{
	struct tally_config *cfg = load_config(cli->config_path);
	int rc;

	if (!cfg)
		return 1;
	rc = tally_status_command(cfg, cli->json);
	tally_config_free(cfg);
	return rc;
}

static int
cmd_health(const struct cli *cli)
{
	struct tally_config *cfg = load_config(cli->config_path);
	int rc;

	if (!cfg)
		return 1;
	rc = tally_health_command(cfg);
	tally_config_free(cfg);
	return rc;
}

static int
cmd_version(const struct cli *cli)
{
	printf("tally %s\n", PACKAGE_VERSION);
	printf("build: libevent libyaml libcurl json-c zlib xxhash%s\n",
#ifdef __SANITIZE_ADDRESS__
	       " asan"
#else
	       ""
#endif
	);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(const struct cli *cli);
	} commands[] = {
		{ "run", cmd_run },         { "configcheck", cmd_configcheck },
		{ "check", cmd_check },     { "status", cmd_status },
		{ "version", cmd_version }, { "health", cmd_health },
	};
	struct cli cli = { 0 };

	if (parse_cli(argc, argv, &cli) < 0) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cli.command, commands[i].name) == 0)
			return commands[i].run(&cli);
	}
	fprintf(stderr, "tally: unknown command \"%s\"\n", cli.command);
	usage(stderr);
	return 2;
}
