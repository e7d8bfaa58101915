/*
 * log: one line per message, "LEVEL subsys: message key=value ...", to stderr or log_file.
 *
 * Thread-safe: each line is written with one write(2). tally_log_ratelimited() is for input that
 * an outsider controls (bad packets): it logs the first occurrence, then at most once per
 * interval with a count of what was suppressed, so a flood of garbage cannot flood the log.
 */
#ifndef TALLY_CORE_LOG_H
#define TALLY_CORE_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum tally_log_level {
	TALLY_LOG_ERROR = 0,
	TALLY_LOG_WARN = 1,
	TALLY_LOG_INFO = 2,
	TALLY_LOG_DEBUG = 3,
};

extern int tally_log_level_current;

/* Parses "error", "warn"/"warning", "info", "debug" (any case); -EINVAL otherwise. */
int tally_log_level_parse(const char *name);
/* Sets the threshold; messages above it are not formatted. */
void tally_log_set_level(enum tally_log_level level);
/* Opens (or reopens, for SIGHUP) path in append mode; NULL or "" means stderr. 0 or -errno. */
int tally_log_open(const char *path);
void tally_log_close(void);

void tally_log(enum tally_log_level level, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TALLY_LOG_AT(lvl, subsys, ...)                                                             \
	do {                                                                                       \
		if ((int)(lvl) <= tally_log_level_current)                                         \
			tally_log((lvl), (subsys), __VA_ARGS__);                                   \
	} while (0)
#define TALLY_ERR(subsys, ...)   TALLY_LOG_AT(TALLY_LOG_ERROR, subsys, __VA_ARGS__)
#define TALLY_WARN(subsys, ...)  TALLY_LOG_AT(TALLY_LOG_WARN, subsys, __VA_ARGS__)
#define TALLY_INFO(subsys, ...)  TALLY_LOG_AT(TALLY_LOG_INFO, subsys, __VA_ARGS__)
#define TALLY_DEBUG(subsys, ...) TALLY_LOG_AT(TALLY_LOG_DEBUG, subsys, __VA_ARGS__)

/* State of one rate-limited log site; zero-initialise it (static storage is fine). */
struct tally_ratelimit {
	_Atomic int64_t next_ms;
	_Atomic uint64_t suppressed;
};

/* Logs at most once per interval_ms per site; appends "suppressed=N" when lines were skipped. */
void tally_log_ratelimited(struct tally_ratelimit *rl, int64_t interval_ms,
                           enum tally_log_level level, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
