/*
 * agent: `tally run`. Owns the main event loop and starts, in order, the listeners, the
 * receiver thread, the outputs and the signal handlers; SIGTERM/SIGINT flush what is buffered
 * and exit 0, SIGHUP reopens the log file. Main thread only.
 */
#ifndef TALLY_CORE_AGENT_H
#define TALLY_CORE_AGENT_H

struct tally_config;

/* Runs until SIGTERM or SIGINT. Borrows cfg. Returns the process exit status. */
int tally_agent_run(const struct tally_config *cfg);

#endif
