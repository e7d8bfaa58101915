#include "spawn.h"

#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Between SIGTERM and SIGKILL, as the issue and Nagios' own core do. */
#define KILL_GRACE_S 1.0
/* After SIGKILL, how long a pipe held by an escaped process (another group) is waited for. */
#define ESCAPED_GRACE_S 0.5
/* Without a pidfd (kernels before 5.3) the child's exit is polled this often. */
#define WAIT_TICK_MS 20
#define READ_CHUNK   65536

struct stream {
	int fd;
	char *buf;
	size_t len, cap, max;
	uint64_t dropped;
};

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads what is there; keeps up to max bytes and counts the rest. Closes at EOF or error. */
static void
stream_read(struct stream *s, char *scratch)
{
	for (;;) {
		ssize_t r = read(s->fd, scratch, READ_CHUNK);
		size_t keep;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			close(s->fd);
			s->fd = -1;
			return;
		}
		keep = s->max - s->len < (size_t)r ? s->max - s->len : (size_t)r;
		if (keep) {
			if (s->len + keep + 1 > s->cap) {
				size_t cap = s->cap ? s->cap : 4096;

				while (cap < s->len + keep + 1)
					cap *= 2;
				s->buf = realloc(s->buf, cap);
				if (!s->buf)
					abort();
				s->cap = cap;
			}
			memcpy(s->buf + s->len, scratch, keep);
			s->len += keep;
		}
		s->dropped += (uint64_t)r - keep;
		if ((size_t)r < READ_CHUNK)
			return;
	}
}

/* The child's PATH from envp (posix_spawnp would search the agent's own PATH). */
static const char *
env_path(const char *const *envp)
{
	for (size_t i = 0; envp[i]; i++) {
		if (strncmp(envp[i], "PATH=", 5) == 0)
			return envp[i] + 5;
	}
	return "/usr/bin:/bin";
}

/* Resolves prog like execvp would into buf; returns 0 or the errno of the failed search. */
static int
resolve(const char *prog, const char *const *envp, char *buf, size_t size)
{
	const char *p;
	int err = ENOENT;

	if (!prog[0])
		return ENOENT;
	if (strchr(prog, '/')) {
		if ((size_t)snprintf(buf, size, "%s", prog) >= size)
			return ENAMETOOLONG;
		return 0;
	}
	for (p = env_path(envp);; p++) {
		size_t n = strcspn(p, ":");

		if ((size_t)snprintf(buf, size, "%.*s%s%s", (int)n, n ? p : ".", "/", prog) <
		    size) {
			if (access(buf, X_OK) == 0)
				return 0;
			if (errno == EACCES)
				err = EACCES;
		}
		p += n;
		if (!*p)
			break;
	}
	return err;
}

/* Starts the child with its pipes; returns 0 or an errno. */
static int
start(const struct exec_spawn_opts *o, pid_t *pid, int out[2], int err[2])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	char path[PATH_MAX];
	int rc = resolve(o->argv[0], o->envp, path, sizeof(path));

	if (rc)
		return rc;
	/* O_CLOEXEC: children other instances start at the same time must not hold them. */
	if (pipe2(out, O_CLOEXEC) < 0)
		return errno;
	if (pipe2(err, O_CLOEXEC) < 0) {
		rc = errno;
		close(out[0]);
		close(out[1]);
		return rc;
	}
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	posix_spawnattr_init(&attr);
	/* Its own group, so that the deadline kills grandchildren too; the agent's blocked and
	 * ignored signals (SIGPIPE) are not the child's. */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                                    POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	rc = posix_spawn(pid, path, &fa, &attr, (char *const *)o->argv, (char *const *)o->envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(err[1]);
	if (rc) {
		close(out[0]);
		close(err[0]);
		return rc;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	return 0;
}

static int
ms_until(double t, double now)
{
	double ms = (t - now) * 1000.0 + 1.0;

	return ms <= 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

static bool
reap(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, WNOHANG);
	while (r < 0 && errno == EINTR);
	return r == pid || (r < 0 && errno == ECHILD);
}

/* The poll loop: reads both pipes, watches the child, enforces the deadline. */
static void
supervise(const struct exec_spawn_opts *o, pid_t pid, struct stream st[2],
          struct exec_spawn_result *res, double start_s)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	double deadline = start_s + o->timeout_s, kill_at = 0, give_up = 0;
	bool exited = false, term_sent = false, kill_sent = false;
	char *scratch = malloc(READ_CHUNK);

	if (!scratch)
		abort();
	for (;;) {
		struct pollfd pfd[3];
		nfds_t n = 0;
		int wait_ms;
		double now = mono_s();

		if (!term_sent && now >= deadline) {
			kill(-pid, SIGTERM);
			term_sent = res->timed_out = true;
			kill_at = now + KILL_GRACE_S;
		}
		if (term_sent && !kill_sent && now >= kill_at) {
			kill(-pid, SIGKILL);
			kill_sent = res->killed = true;
			give_up = now + ESCAPED_GRACE_S;
		}
		if (exited && st[0].fd < 0 && st[1].fd < 0)
			break;
		if (kill_sent && now >= give_up)
			break;
		wait_ms = ms_until(kill_sent ? give_up : term_sent ? kill_at : deadline, now);
		for (int i = 0; i < 2; i++) {
			if (st[i].fd >= 0)
				pfd[n++] = (struct pollfd){ .fd = st[i].fd, .events = POLLIN };
		}
		if (!exited && pidfd >= 0)
			pfd[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		else if (!exited && wait_ms > WAIT_TICK_MS)
			wait_ms = WAIT_TICK_MS;
		if (poll(pfd, n, wait_ms) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (st[i].fd >= 0)
				stream_read(&st[i], scratch);
		}
		if (!exited)
			exited = reap(pid, &res->wait_status);
	}
	free(scratch);
	if (pidfd >= 0)
		close(pidfd);
	if (!exited) {
		/* Only after SIGKILL of its group: it dies now, so this wait is short. */
		kill(-pid, SIGKILL);
		while (waitpid(pid, &res->wait_status, 0) < 0 && errno == EINTR)
			;
	}
}

void
exec_spawn_run(const struct exec_spawn_opts *o, struct exec_spawn_result *res)
{
	struct stream st[2] = { { .fd = -1, .max = o->max_stdout },
		                { .fd = -1, .max = o->max_stderr } };
	double start_s = mono_s();
	int out[2], err[2];
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->spawn_errno = start(o, &pid, out, err);
	if (res->spawn_errno)
		return;
	st[0].fd = out[0];
	st[1].fd = err[0];
	supervise(o, pid, st, res, start_s);
	/* Whatever the child left in its group (a daemonized grandchild) goes too. */
	if (kill(-pid, 0) == 0) {
		res->group_left = true;
		kill(-pid, SIGKILL);
	}
	for (int i = 0; i < 2; i++) {
		if (st[i].fd >= 0)
			close(st[i].fd);
		if (!st[i].buf)
			st[i].buf = calloc(1, 1);
		if (!st[i].buf)
			abort();
		st[i].buf[st[i].len] = '\0';
	}
	res->out = st[0].buf;
	res->out_len = st[0].len;
	res->out_dropped = st[0].dropped;
	res->err = st[1].buf;
	res->err_len = st[1].len;
	res->err_dropped = st[1].dropped;
	res->duration_s = mono_s() - start_s;
}

void
exec_spawn_result_free(struct exec_spawn_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}
