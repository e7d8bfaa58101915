#include "check_testutil.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "check_sink.h"

#define MAX_RECS 4096

static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ctu_rec recs[MAX_RECS];
static size_t n_recs;

static void
label_of(const struct tally_check_metric *m, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t t = 0; t < m->n_tags; t++) {
		if (strncmp(m->tags[t], "label:", 6) == 0)
			snprintf(out, size, "%s", m->tags[t] + 6);
	}
}

void
ctu_record_run(struct tally_check_run *run, void *arg)
{
	pthread_mutex_lock(&rec_lock);
	for (size_t i = 0; i < run->n_metrics && n_recs < MAX_RECS; i++) {
		struct ctu_rec *r = &recs[n_recs++];

		snprintf(r->name, sizeof(r->name), "%s", run->metrics[i].name);
		label_of(&run->metrics[i], r->label, sizeof(r->label));
		r->value = run->metrics[i].value;
		r->has_value = run->metrics[i].has_value;
	}
	pthread_mutex_unlock(&rec_lock);
	tally_check_run_free(run);
}

size_t
ctu_recorded(const char *name, const char *label)
{
	size_t n = 0;

	pthread_mutex_lock(&rec_lock);
	for (size_t i = 0; i < n_recs; i++)
		n += !strcmp(recs[i].name, name) && (!label || !strcmp(recs[i].label, label));
	pthread_mutex_unlock(&rec_lock);
	return n;
}

void
ctu_foreach(void (*fn)(const struct ctu_rec *r, void *arg), void *arg)
{
	pthread_mutex_lock(&rec_lock);
	for (size_t i = 0; i < n_recs; i++)
		fn(&recs[i], arg);
	pthread_mutex_unlock(&rec_lock);
}

void
ctu_clear(void)
{
	pthread_mutex_lock(&rec_lock);
	n_recs = 0;
	pthread_mutex_unlock(&rec_lock);
}

double
ctu_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
ctu_run_for_ms(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

void
ctu_run_until(struct event_base *base, bool (*pred)(void *), void *arg, int timeout_ms,
              const char *what)
{
	double deadline = ctu_mono() + timeout_ms / 1000.0;

	while (!pred(arg)) {
		if (ctu_mono() > deadline)
			fail_msg("timed out waiting for %s", what);
		ctu_run_for_ms(base, 5);
	}
}

void
ctu_write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *out;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out = fopen(path, "w");
	assert_non_null(out);
	fputs(text, out);
	fclose(out);
}
