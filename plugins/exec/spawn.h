/*
 * spawn: runs one command to completion, safely for an agent. The child gets its own process
 * group, /dev/null as stdin, no inherited descriptors and only the environment it is given;
 * stdout and stderr are read with poll() up to their bounds and the rest is read and thrown
 * away (counted), so the child never blocks on a full pipe. At the deadline the whole group
 * gets SIGTERM, and SIGKILL one second later; the child is always reaped before
 * exec_spawn_run() returns, and whatever is left in its group then is killed too.
 *
 * Blocks the calling thread for up to timeout + 1 s (+ the time to reap); thread-safe, no
 * globals, no signal handlers.
 */
#ifndef TALLY_EXEC_SPAWN_H
#define TALLY_EXEC_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct exec_spawn_opts {
	const char *const *argv; /* argv[0] is the program: a path, or looked up in env's PATH */
	const char *const *envp; /* the child's whole environment, NULL-terminated */
	double timeout_s;
	size_t max_stdout; /* bytes of stdout kept */
	size_t max_stderr; /* bytes of stderr kept */
};

struct exec_spawn_result {
	int spawn_errno; /* != 0: the command could not be started (and nothing below is set) */
	int wait_status; /* waitpid()'s status of the child */
	bool timed_out;  /* killed at the deadline */
	bool killed;     /* SIGKILL was needed (SIGTERM was not enough within 1 s) */
	bool group_left; /* processes were still in the group after the child exited */
	char *out; /* stdout, NUL-terminated (a NUL in the output ends nothing: use out_len) */
	size_t out_len;
	uint64_t out_dropped; /* stdout bytes read past max_stdout and discarded */
	char *err;            /* stderr, NUL-terminated */
	size_t err_len;
	uint64_t err_dropped;
	double duration_s;
};

/* Runs the command; fills *res, which the caller frees with exec_spawn_result_free(). */
void exec_spawn_run(const struct exec_spawn_opts *o, struct exec_spawn_result *res);
void exec_spawn_result_free(struct exec_spawn_result *res);

#endif
