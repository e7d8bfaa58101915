/*
 * check_testutil: what the check scheduler tests share: a thread-safe recording commit
 * function (runs arrive on worker threads), event loop helpers and temp files.
 */
#ifndef TALLY_TESTS_CHECK_TESTUTIL_H
#define TALLY_TESTS_CHECK_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct tally_check_run;

/* One committed metric. */
struct ctu_rec {
	char name[64], label[64]; /* label: the value of a label:X tag, or "" */
	double value;
	bool has_value;
};

/* A tally_check_commit_fn: records every metric of run, then frees it. Any thread. */
void ctu_record_run(struct tally_check_run *run, void *arg);
/* Metrics recorded named name (and with label:LABEL when label is not NULL). */
size_t ctu_recorded(const char *name, const char *label);
/* Calls fn on every record, under the recorder's lock. */
void ctu_foreach(void (*fn)(const struct ctu_rec *r, void *arg), void *arg);
/* Forgets every record. */
void ctu_clear(void);

/* CLOCK_MONOTONIC seconds. */
double ctu_mono(void);
/* Runs base for ms milliseconds. */
void ctu_run_for_ms(struct event_base *base, int ms);
/* Runs base until pred(arg) holds; fails the test after timeout_ms, naming what. */
void ctu_run_until(struct event_base *base, bool (*pred)(void *), void *arg, int timeout_ms,
                   const char *what);

/* Writes text to dir/name (creating it). */
void ctu_write_file(const char *dir, const char *name, const char *text);

#endif
