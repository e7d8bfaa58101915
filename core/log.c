#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

int tally_log_level_current = TALLY_LOG_INFO;
static _Atomic int log_fd = STDERR_FILENO;

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

int
tally_log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		enum tally_log_level level;
	} names[] = {
		{ "error", TALLY_LOG_ERROR }, { "err", TALLY_LOG_ERROR },
		{ "warn", TALLY_LOG_WARN },   { "warning", TALLY_LOG_WARN },
		{ "info", TALLY_LOG_INFO },   { "debug", TALLY_LOG_DEBUG },
		{ "trace", TALLY_LOG_DEBUG },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(name, names[i].name) == 0)
			return (int)names[i].level;
	}
	return -EINVAL;
}

void
tally_log_set_level(enum tally_log_level level)
{
	tally_log_level_current = (int)level;
}

int
tally_log_open(const char *path)
{
	int fd = STDERR_FILENO;
	int old;

	if (path && *path) {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd < 0)
			return -errno;
	}
	old = atomic_exchange(&log_fd, fd);
	if (old != STDERR_FILENO)
		close(old);
	return 0;
}

void
tally_log_close(void)
{
	int old = atomic_exchange(&log_fd, STDERR_FILENO);

	if (old != STDERR_FILENO)
		close(old);
}

static void log_vwrite(enum tally_log_level level, const char *subsys, const char *suffix,
                       const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void
log_vwrite(enum tally_log_level level, const char *subsys, const char *suffix, const char *fmt,
           va_list ap)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int w;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	w = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s %s: ", ts.tv_nsec / 1000000L,
	             level_names[level], subsys);
	n += (size_t)(w > 0 ? w : 0);
	w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = w > 0 ? n + (size_t)w : n;
	if (n > sizeof(line) - 64)
		n = sizeof(line) - 64;
	if (suffix)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s", suffix);
	line[n++] = '\n';
	/* One write per line keeps lines from different threads whole. */
	if (write(atomic_load(&log_fd), line, n) < 0)
		return;
}

void
tally_log(enum tally_log_level level, const char *subsys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, subsys, NULL, fmt, ap);
	va_end(ap);
}

void
tally_log_ratelimited(struct tally_ratelimit *rl, int64_t interval_ms, enum tally_log_level level,
                      const char *subsys, const char *fmt, ...)
{
	int64_t now, next;
	uint64_t skipped;
	char suffix[48] = "";
	va_list ap;

	if ((int)level > tally_log_level_current)
		return;
	now = tally_mono_ms();
	next = atomic_load(&rl->next_ms);
	if (now < next || !atomic_compare_exchange_strong(&rl->next_ms, &next, now + interval_ms)) {
		atomic_fetch_add(&rl->suppressed, 1);
		return;
	}
	skipped = atomic_exchange(&rl->suppressed, 0);
	if (skipped)
		snprintf(suffix, sizeof(suffix), " suppressed=%llu", (unsigned long long)skipped);
	va_start(ap, fmt);
	log_vwrite(level, subsys, suffix, fmt, ap);
	va_end(ap);
}
