/*
 * check_cmd: `tally check NAME [-c FILE] [--json] [--rate]`. Runs every configured instance of
 * check NAME once (twice, one second apart, with --rate, so rates and monotonic counts have
 * two samples), and prints what each would submit instead of sending it. Each run happens on
 * its own thread and may take at most the instance's timeout: a run still going then is
 * reported ("check NAME instance N (FILE:LINE): run timed out after X s") and abandoned, and
 * the command goes on without waiting for it. Output is a readable table, or with --json one
 * JSON object per line:
 *   {"metric":"NAME","type":"gauge","value":1.5,"tags":["k:v"],"host":"h1"}
 *   {"check":"NAME","status":0,"tags":["k:v"],"message":"","host":"h1"}
 *   {"event":"TITLE","text":"...","alert_type":"info","priority":"normal","tags":[],"host":""}
 * type is what the check called (gauge, count, rate, monotonic_count, histogram); a rate or
 * monotonic_count is printed only once it has a value (with --rate, from the second run).
 * Only the last run's submissions are printed. Logs go to stderr.
 *
 * Main thread; for the command line only.
 */
#ifndef TALLY_CORE_CHECK_CMD_H
#define TALLY_CORE_CHECK_CMD_H

#include <stdbool.h>
#include <stdio.h>

struct tally_check_run;
struct tally_config;

/*
 * Runs the command with cfg (borrowed); prints to out, problems to err. Returns the exit
 * status: 0, or 1 when the check is not found, is refused, has no instance, has conf.d
 * errors, or an init or run failed or timed out. After a timeout the abandoned run may still
 * be running: the plugin stays loaded, and cfg must not be freed before the process exits.
 */
int tally_check_run_command(const struct tally_config *cfg, const char *name, bool json, bool rate,
                            FILE *out, FILE *err);

/* Loads the config at config_path (NULL: the default) and runs the command on stdout. */
int tally_check_command(const char *config_path, const char *name, bool json, bool rate);

/* Prints run as JSON lines (json) or as a table. Borrows run. */
void tally_check_run_print(const struct tally_check_run *run, bool json, FILE *out);

#endif
