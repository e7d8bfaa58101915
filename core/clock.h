/*
 * clock: the monotonic clock in the units the agent counts in. For deadlines, timeouts, backoff
 * and rate limits; wall-clock times (flush boundaries, timestamps) use CLOCK_REALTIME apart.
 */
#ifndef TALLY_CORE_CLOCK_H
#define TALLY_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds. */
static inline int64_t
tally_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CLOCK_MONOTONIC in seconds. */
static inline double
tally_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
