/* forwarder construction and teardown (the sending engine is forwarder.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "forwarder.h"
#include "fwd_http.h"
#include "fwd_internal.h"
#include "fwd_spool.h"
#include "xmem.h"

static const char *const drop_reason_names[TALLY_DROP__COUNT] = {
	[TALLY_DROP_QUEUE_FULL] = "queue_full",   [TALLY_DROP_TOO_BIG] = "too_big",
	[TALLY_DROP_HTTP_400] = "http_400",       [TALLY_DROP_HTTP_403] = "http_403",
	[TALLY_DROP_HTTP_413] = "http_413",       [TALLY_DROP_SPOOL_FULL] = "spool_full",
	[TALLY_DROP_SPOOL_ERROR] = "spool_error", [TALLY_DROP_INVALID] = "invalid",
	[TALLY_DROP_SHUTDOWN] = "shutdown",       [TALLY_DROP_OUTDATED] = "outdated",
};

const char *
tally_fwd_drop_reason_name(enum tally_fwd_drop_reason r)
{
	return r < TALLY_DROP__COUNT ? drop_reason_names[r] : "unknown";
}

/* The spool removed an old file to respect its bound: count it against its endpoint. */
static void
on_spool_evict(void *arg, const char *endpoint, unsigned count)
{
	struct tally_fwd *f = arg;

	for (size_t i = 0; i < f->n_eps; i++) {
		if (strcmp(f->eps[i].name, endpoint) == 0)
			f->eps[i].total.dropped[TALLY_DROP_SPOOL_FULL] += count;
	}
	TALLY_WARN("forwarder",
	           "spool full, oldest file removed output=%s endpoint=%s "
	           "payloads=%u",
	           f->id, endpoint, count);
}

/* The spool discarded a file too old to send (it logs once per sweep): count it. */
static void
on_spool_outdated(void *arg, const char *endpoint, unsigned count)
{
	struct tally_fwd *f = arg;

	for (size_t i = 0; i < f->n_eps; i++) {
		if (strcmp(f->eps[i].name, endpoint) == 0)
			f->eps[i].total.dropped[TALLY_DROP_OUTDATED] += count;
	}
}

static int
open_spool(struct tally_fwd *f, const struct tally_fwd_opts *o, char *err, size_t err_len)
{
	size_t len = strlen(o->storage_path) + strlen(o->id) + 2;
	char *dir = tally_xmalloc(len);

	snprintf(dir, len, "%s/%s", o->storage_path, o->id);
	f->spool = tally_spool_open(dir, o->storage_max_bytes, TALLY_SPOOL_MAX_AGE_S, err, err_len);
	free(dir);
	if (!f->spool)
		return -1;
	f->spool->on_evict = on_spool_evict;
	f->spool->on_outdated = on_spool_outdated;
	f->spool->arg = f;
	tally_spool_expire(f->spool, (int64_t)time(NULL));
	if (f->spool->n_files)
		TALLY_INFO("forwarder",
		           "spooled payloads found, sending them output=%s files=%zu "
		           "bytes=%zu",
		           f->id, f->spool->n_files, f->spool->bytes);
	return 0;
}

static int
init_endpoints(struct tally_fwd *f, const struct tally_fwd_opts *o, char *err, size_t err_len)
{
	f->eps = tally_xcalloc(o->n_endpoints, sizeof(*f->eps));
	f->n_eps = o->n_endpoints;
	for (size_t i = 0; i < f->n_eps; i++) {
		struct tally_fwd_endpoint *ep = &f->eps[i];

		ep->fwd = f;
		snprintf(ep->name, sizeof(ep->name), "%s", o->endpoints[i]);
		tally_fwd_queue_init(&ep->q, o->queue_max_bytes);
		for (size_t w = 0; w < TALLY_FWD_WORKERS_MAX; w++)
			ep->slots[w].ep = ep;
		ep->timer = evtimer_new(f->base, tally_fwd_ep_on_timer, ep);
		if (!ep->timer) {
			snprintf(err, err_len, "%s: cannot create a timer", o->id);
			return -1;
		}
	}
	return 0;
}

struct tally_fwd *
tally_fwd_new(struct event_base *base, const struct tally_fwd_opts *o, char *err, size_t err_len)
{
	struct tally_fwd *f = tally_xcalloc(1, sizeof(*f));
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	f->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40);
	f->rng |= 1;
	f->base = base;
	f->id = tally_xstrdup(o->id);
	f->base_url = tally_xstrdup(o->base_url);
	f->key_hint = o->key_hint ? tally_xstrdup(o->key_hint) : NULL;
	f->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 20000;
	f->n_workers = o->num_workers ? o->num_workers : 1;
	if (f->n_workers > TALLY_FWD_WORKERS_MAX)
		f->n_workers = TALLY_FWD_WORKERS_MAX;
	f->headers = tally_xcalloc(o->n_headers + 1, sizeof(*f->headers));
	for (size_t i = 0; i < o->n_headers; i++)
		f->headers[f->n_headers++] = tally_xstrdup(o->headers[i]);
	f->http = tally_http_new(base);
	if (!f->http) {
		snprintf(err, err_len, "%s: cannot initialise libcurl", o->id);
		goto fail;
	}
	if (init_endpoints(f, o, err, err_len) < 0)
		goto fail;
	if (o->storage_path && *o->storage_path && open_spool(f, o, err, err_len) < 0)
		goto fail;
	for (size_t i = 0; f->spool && i < f->n_eps; i++) {
		if (tally_spool_has(f->spool, f->eps[i].name))
			event_active(f->eps[i].timer, EV_TIMEOUT, 0);
	}
	return f;
fail:
	f->closed = true; /* nothing was queued: nothing to spool */
	tally_fwd_free(f);
	return NULL;
}

void
tally_fwd_free(struct tally_fwd *f)
{
	if (!f)
		return;
	tally_fwd_close(f);
	for (size_t i = 0; i < f->n_eps; i++) {
		if (f->eps[i].timer)
			event_free(f->eps[i].timer);
		tally_fwd_queue_clear(&f->eps[i].q);
	}
	tally_http_free(f->http);
	tally_spool_free(f->spool);
	for (size_t i = 0; i < f->n_headers; i++) {
		/* the API key lives here: wipe it before giving the memory back */
		explicit_bzero(f->headers[i], strlen(f->headers[i]));
		free(f->headers[i]);
	}
	free(f->headers);
	free(f->eps);
	free(f->key_hint);
	free(f->base_url);
	free(f->id);
	free(f);
}
