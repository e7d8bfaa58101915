#include "fwd_http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "log.h"
#include "xmem.h"

#define RESP_KEEP_BYTES 512

struct tally_http_req {
	struct tally_http *h;
	struct tally_http_req *prev, *next;
	CURL *easy;
	struct curl_slist *headers;
	char *url;
	char error[CURL_ERROR_SIZE];
	char resp[RESP_KEEP_BYTES + 1];
	size_t resp_len;
	void (*done)(void *arg, const struct tally_http_result *res);
	void *arg;
};

struct tally_http {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct tally_http_req *reqs;
	int running;
};

/* What we watch on one of curl's sockets. */
struct sock_watch {
	struct event *ev;
};

static void check_done(struct tally_http *h);

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct tally_http *h = arg;
	int action =
	    (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(h->multi, fd, action, &h->running);
	check_done(h);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tally_http *h = arg;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &h->running);
	check_done(h);
}

/* CURLMOPT_SOCKETFUNCTION: (re)arm or drop the libevent watch on one of curl's sockets. */
static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct tally_http *h = userp;
	struct sock_watch *w = socketp;
	short kind = EV_PERSIST;

	if (w && w->ev)
		event_free(w->ev);
	if (what == CURL_POLL_REMOVE) {
		free(w);
		curl_multi_assign(h->multi, s, NULL);
		return 0;
	}
	if (!w) {
		w = tally_xcalloc(1, sizeof(*w));
		curl_multi_assign(h->multi, s, w);
	}
	kind |= (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
	w->ev = event_new(h->base, s, kind, on_socket_event, h);
	if (!w->ev || event_add(w->ev, NULL) < 0)
		return -1;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: one libevent timer stands for curl's single timeout. */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct tally_http *h = userp;
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };

	if (timeout_ms < 0)
		return evtimer_del(h->timer) < 0 ? -1 : 0;
	/* 0 means "now": still go through the loop, never re-enter curl from its callback */
	return evtimer_add(h->timer, &tv) < 0 ? -1 : 0;
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct tally_http_req *r = arg;
	size_t n = size * nmemb, room = RESP_KEEP_BYTES - r->resp_len;

	if (room > n)
		room = n;
	memcpy(r->resp + r->resp_len, data, room);
	r->resp_len += room;
	r->resp[r->resp_len] = '\0';
	return n;
}

static void
req_unlink_free(struct tally_http_req *r)
{
	struct tally_http *h = r->h;

	if (r->prev)
		r->prev->next = r->next;
	else
		h->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	curl_multi_remove_handle(h->multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r->url);
	free(r);
}

static void
finish(struct tally_http_req *r, CURLcode code)
{
	struct tally_http_result res = { .curl_code = (int)code };
	void (*done)(void *, const struct tally_http_result *) = r->done;
	void *arg = r->arg;
	char error[CURL_ERROR_SIZE], body[RESP_KEEP_BYTES + 1];

	if (code == CURLE_OK)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
	snprintf(error, sizeof(error), "%s",
	         code == CURLE_OK ? "" : (r->error[0] ? r->error : curl_easy_strerror(code)));
	memcpy(body, r->resp, sizeof(body));
	res.error = error;
	res.body = body;
	/* freed before done runs, so that done may start the next request on a clean multi */
	req_unlink_free(r);
	done(arg, &res);
}

static void
check_done(struct tally_http *h)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(h->multi, &left))) {
		struct tally_http_req *r = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r)
			finish(r, msg->data.result);
	}
}

struct tally_http *
tally_http_new(struct event_base *base)
{
	static bool global_done;
	struct tally_http *h;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		global_done = true;
	}
	h = tally_xcalloc(1, sizeof(*h));
	h->base = base;
	h->multi = curl_multi_init();
	h->timer = evtimer_new(base, on_timer, h);
	if (!h->multi || !h->timer)
		goto fail;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
fail:
	tally_http_free(h);
	return NULL;
}

void
tally_http_free(struct tally_http *h)
{
	if (!h)
		return;
	while (h->reqs)
		req_unlink_free(h->reqs);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->timer)
		event_free(h->timer);
	free(h);
}

static void
set_options(struct tally_http_req *r, const struct tally_http_post_opts *o)
{
	CURL *e = r->easy;

	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, o->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "tally/" PACKAGE_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
}

struct tally_http_req *
tally_http_post(struct tally_http *h, const struct tally_http_post_opts *o)
{
	struct tally_http_req *r = tally_xcalloc(1, sizeof(*r));

	r->h = h;
	r->done = o->done;
	r->arg = o->arg;
	r->url = tally_xstrdup(o->url);
	r->easy = curl_easy_init();
	if (!r->easy)
		goto fail;
	for (size_t i = 0; i < o->n_headers; i++)
		r->headers = curl_slist_append(r->headers, o->headers[i]);
	/* no "Expect: 100-continue" round trip before large bodies */
	r->headers = curl_slist_append(r->headers, "Expect:");
	if (!r->headers)
		goto fail;
	set_options(r, o);
	r->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = r;
	h->reqs = r;
	if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
		req_unlink_free(r);
		return NULL;
	}
	return r;
fail:
	TALLY_ERR("http", "cannot start a request");
	if (r->easy)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r->url);
	free(r);
	return NULL;
}

void
tally_http_cancel(struct tally_http_req *r)
{
	if (r)
		req_unlink_free(r);
}
