/*
 * fwd_http: asynchronous HTTP POSTs on libcurl's multi interface, driven by the main libevent
 * loop (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION and curl_multi_socket_action, the
 * pattern of curl's hiperfifo / multi-event examples). Nothing here ever blocks the loop:
 * connects, DNS (curl's threaded resolver), TLS and transfers all progress from events.
 *
 * One client per output. Everything — creating, posting, cancelling, the completion callback
 * — happens on the thread that runs the event_base (the main thread).
 */
#ifndef TALLY_CORE_FWD_HTTP_H
#define TALLY_CORE_FWD_HTTP_H

#include <stddef.h>

struct event_base;
struct tally_http;
struct tally_http_req;

/* What became of one request; valid only during the done callback. */
struct tally_http_result {
	long status;       /* HTTP status, 0 when no answer came back */
	int curl_code;     /* CURLcode: 0 when an answer came back */
	const char *error; /* curl's message for curl_code, "" when none */
	const char *body;  /* the start of the response body (at most 512 bytes), NUL-ended */
};

struct tally_http_post_opts {
	const char *url;            /* copied */
	const char *const *headers; /* "Name: value" lines, copied */
	size_t n_headers;
	const void
	    *body; /* borrowed: must stay valid until done runs or the request is cancelled */
	size_t len;
	long timeout_ms;         /* whole request; CURLOPT_TIMEOUT_MS */
	long connect_timeout_ms; /* CURLOPT_CONNECTTIMEOUT_MS */
	/* Called exactly once from the loop unless the request is cancelled first. */
	void (*done)(void *arg, const struct tally_http_result *res);
	void *arg;
};

/* Returns a new client on base (borrowed, must outlive it), or NULL when curl cannot start. */
struct tally_http *tally_http_new(struct event_base *base);
/* Cancels every request still running (their done callbacks are not called) and frees h. */
void tally_http_free(struct tally_http *h);

/*
 * Starts a POST. Returns the request handle (owned by h; it is freed after done runs or by
 * tally_http_cancel), or NULL when curl refused to start it (the caller treats that as a
 * transport error).
 */
struct tally_http_req *tally_http_post(struct tally_http *h, const struct tally_http_post_opts *o);
/* Aborts a running request; done is not called. */
void tally_http_cancel(struct tally_http_req *r);

#endif
