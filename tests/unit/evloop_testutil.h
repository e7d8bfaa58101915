/*
 * evloop_testutil: driving a libevent loop from a unit test until a counter that the loop's
 * callbacks bump reaches a value (the forwarder tests against a local evhttp server).
 */
#ifndef TALLY_TESTS_EVLOOP_TESTUTIL_H
#define TALLY_TESTS_EVLOOP_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "clock.h"

static inline void
evt_on_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/*
 * Runs the loop until *counter >= want or ms pass; returns whether it got there. With want 0
 * it just runs for ms. A 10 ms timer keeps the loop turning while nothing else happens.
 */
static inline bool
evt_run_until(struct event_base *base, const size_t *counter, size_t want, int ms)
{
	struct event *wake = evtimer_new(base, evt_on_wake, NULL);
	int64_t end = tally_mono_ms() + ms;
	struct timeval tv = { 0, 10000 };

	while ((!want || *counter < want) && tally_mono_ms() < end) {
		evtimer_add(wake, &tv);
		event_base_loop(base, EVLOOP_ONCE);
	}
	event_free(wake);
	return want && *counter >= want;
}

#endif
