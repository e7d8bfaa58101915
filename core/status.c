#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "clock.h"
#include "config.h"
#include "output.h"
#include "parse.h"
#include "selfstats.h"
#include "xmem.h"

struct tally_status_server {
	struct evhttp *http;
	const struct tally_status_src *src;
};

static void
put_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static struct json_object *
listeners_json(const struct tally_status_src *src, const struct tally_rx_counters *c)
{
	const struct tally_config *cfg = src->cfg;
	struct json_object *arr = json_object_new_array();
	struct json_object *udp, *uds;

	if (cfg->dogstatsd_port > 0) {
		char addr[300];

		udp = json_object_new_object();
		snprintf(addr, sizeof(addr), "%s:%d", cfg->bind_host, cfg->dogstatsd_port);
		json_object_object_add(udp, "type", json_object_new_string("udp"));
		json_object_object_add(udp, "address", json_object_new_string(addr));
		put_u64(udp, "rcvbuf_bytes", src->udp_rcvbuf_bytes);
		put_u64(udp, "packets", c->packets[TALLY_LISTENER_UDP]);
		put_u64(udp, "bytes", c->bytes[TALLY_LISTENER_UDP]);
		put_u64(udp, "metrics", c->metrics_by[TALLY_LISTENER_UDP]);
		put_u64(udp, "parse_errors", c->parse_errors_by[TALLY_LISTENER_UDP]);
		put_u64(udp, "kernel_drops", c->kernel_drops);
		json_object_array_add(arr, udp);
	}
	if (cfg->dogstatsd_socket && *cfg->dogstatsd_socket) {
		uds = json_object_new_object();
		json_object_object_add(uds, "type", json_object_new_string("uds"));
		json_object_object_add(uds, "address",
		                       json_object_new_string(cfg->dogstatsd_socket));
		put_u64(uds, "packets", c->packets[TALLY_LISTENER_UDS]);
		put_u64(uds, "bytes", c->bytes[TALLY_LISTENER_UDS]);
		put_u64(uds, "metrics", c->metrics_by[TALLY_LISTENER_UDS]);
		put_u64(uds, "parse_errors", c->parse_errors_by[TALLY_LISTENER_UDS]);
		json_object_array_add(arr, uds);
	}
	return arr;
}

static struct json_object *
dogstatsd_json(const struct tally_rx_counters *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *errs = json_object_new_object();
	uint64_t total = 0;

	put_u64(o, "metrics", c->metrics);
	put_u64(o, "service_checks", c->service_checks);
	put_u64(o, "events", c->events);
	for (int i = 1; i < TALLY_PERR__COUNT; i++) {
		total += c->parse_errors[i];
		if (c->parse_errors[i])
			put_u64(errs, tally_parse_err_name(i), c->parse_errors[i]);
	}
	put_u64(o, "parse_errors", total);
	json_object_object_add(o, "parse_errors_by_reason", errs);
	put_u64(o, "truncated_datagrams", c->truncated);
	put_u64(o, "contexts", c->contexts);
	put_u64(o, "contexts_dropped_limit", c->dropped_context_limit);
	put_u64(o, "samples_dropped_type_conflict", c->dropped_type_conflict);
	return o;
}

static int64_t
get_i64(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static int64_t
sum_dropped(struct json_object *o)
{
	struct json_object *d;
	int64_t n = 0;

	if (!json_object_object_get_ex(o, "dropped", &d) ||
	    !json_object_is_type(d, json_type_object))
		return 0;
	json_object_object_foreach(d, reason, v)
	{
		(void)reason;
		n += json_object_get_int64(v);
	}
	return n;
}

/*
 * One shape for every output, whatever its own fields: queue_bytes, retries, dropped (total)
 * and last_error, summed over an HTTP output's endpoints.
 */
static void
add_summary(struct json_object *o)
{
	struct json_object *eps, *v;
	int64_t queue = 0, retries = 0, dropped = 0;
	const char *last = NULL;

	if (json_object_object_get_ex(o, "endpoints", &eps)) {
		for (size_t i = 0; i < json_object_array_length(eps); i++) {
			struct json_object *ep = json_object_array_get_idx(eps, i);

			queue += get_i64(ep, "queue_bytes");
			retries += get_i64(ep, "retried");
			dropped += sum_dropped(ep);
			if (json_object_object_get_ex(ep, "last_error", &v) && v)
				last = json_object_get_string(v);
		}
	} else {
		queue = get_i64(o, "queue_bytes");
		retries = get_i64(o, "retried");
		dropped = sum_dropped(o);
		if (json_object_object_get_ex(o, "last_error", &v) && v)
			last = json_object_get_string(v);
	}
	json_object_object_add(o, "queue_bytes", json_object_new_int64(queue));
	json_object_object_add(o, "retries", json_object_new_int64(retries));
	json_object_object_add(o, "dropped_total", json_object_new_int64(dropped));
	json_object_object_add(o, "last_error", last ? json_object_new_string(last) : NULL);
}

static struct json_object *
outputs_json(const struct tally_status_src *src)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < *src->n_outputs; i++) {
		struct tally_output *out = src->outputs[i];
		struct json_object *o = out->ops->status ? out->ops->status(out) : NULL;

		if (!o)
			o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(out->name));
		json_object_object_add(o, "type", json_object_new_string(out->ops->type));
		add_summary(o);
		json_object_array_add(arr, o);
	}
	return arr;
}

struct json_object *
tally_status_json(const struct tally_status_src *src)
{
	struct json_object *root = json_object_new_object();
	struct json_object *checks = src->checks_json ? src->checks_json(src->checks_arg) : NULL;
	struct json_object *errors =
	    src->check_errors_json ? src->check_errors_json(src->checks_arg) : NULL;
	struct json_object *refused = src->refused_json ? src->refused_json(src->checks_arg) : NULL;
	struct tally_rx_counters c;
	int64_t now = (int64_t)time(NULL);

	tally_selfstats_read(src->stats, &c);
	json_object_object_add(root, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(root, "hostname", json_object_new_string(src->cfg->hostname));
	json_object_object_add(root, "started", json_object_new_int64(src->started_s));
	json_object_object_add(root, "uptime_s", json_object_new_int64(now - src->started_s));
	json_object_object_add(root, "config_file",
	                       src->cfg->source ? json_object_new_string(src->cfg->source) : NULL);
	json_object_object_add(root, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(root, "flush_interval",
	                       json_object_new_int((int)src->cfg->flush_interval));
	json_object_object_add(root, "listeners", listeners_json(src, &c));
	json_object_object_add(root, "dogstatsd", dogstatsd_json(&c));
	json_object_object_add(root, "checks", checks ? checks : json_object_new_array());
	json_object_object_add(root, "check_errors", errors ? errors : json_object_new_array());
	json_object_object_add(root, "refused_plugins",
	                       refused ? refused : json_object_new_array());
	json_object_object_add(root, "outputs", outputs_json(src));
	return root;
}

static void
reply(struct evhttp_request *req, int code, const char *reason, const char *type, const char *text)
{
	struct evbuffer *body = evbuffer_new();

	evbuffer_add_printf(body, "%s\n", text);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_send_reply(req, code, reason, body);
	evbuffer_free(body);
}

static bool
is_path(const char *uri, const char *path)
{
	size_t n = strlen(path);

	return strncmp(uri, path, n) == 0 && (uri[n] == '\0' || uri[n] == '?');
}

/* /health: 200 "ok" or 503 with the reason, as text and as {"healthy", "reason"}. */
static void
on_health(struct tally_status_server *srv, struct evhttp_request *req)
{
	struct json_object *doc = tally_status_json(srv->src), *o = json_object_new_object();
	char why[512];
	bool ok = tally_status_healthy(srv->src, doc, why, sizeof(why));

	json_object_object_add(o, "healthy", json_object_new_boolean(ok));
	json_object_object_add(o, "reason", json_object_new_string(why));
	reply(req, ok ? HTTP_OK : 503, ok ? "OK" : "Service Unavailable", "application/json",
	      json_object_to_json_string(o));
	json_object_put(o);
	json_object_put(doc);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct tally_status_server *srv = arg;
	struct json_object *doc;
	const char *path = evhttp_request_get_uri(req);

	if (is_path(path, "/health")) {
		on_health(srv, req);
		return;
	}
	/* Kubernetes probes: live while the loop answers; ready from start until SIGTERM. */
	if (is_path(path, "/live")) {
		reply(req, HTTP_OK, "OK", "text/plain", "ok");
		return;
	}
	if (is_path(path, "/ready")) {
		if (srv->src->stopping)
			reply(req, 503, "Service Unavailable", "text/plain", "stopping");
		else
			reply(req, HTTP_OK, "OK", "text/plain", "ready");
		return;
	}
	if (!is_path(path, "/status")) {
		evhttp_send_error(req, HTTP_NOTFOUND, "try /status, /health, /live or /ready");
		return;
	}
	doc = tally_status_json(srv->src);
	reply(req, HTTP_OK, "OK", "application/json",
	      json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY));
	json_object_put(doc);
}

/* Splits "host:port" (host may be "[v6]"); 0 or -1. */
static int
split_host_port(const char *listen, char *host, size_t host_len, unsigned short *port)
{
	const char *colon = strrchr(listen, ':');
	size_t n;
	long p;
	char *end;

	if (!colon)
		return -1;
	n = (size_t)(colon - listen);
	if (n >= host_len)
		return -1;
	memcpy(host, listen, n);
	host[n] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (*end || p <= 0 || p > 65535)
		return -1;
	*port = (unsigned short)p;
	return 0;
}

struct tally_status_server *
tally_status_server_new(struct event_base *base, const char *listen,
                        const struct tally_status_src *src, char *err, size_t err_len)
{
	struct tally_status_server *srv = tally_xcalloc(1, sizeof(*srv));
	char host[256];
	unsigned short port;

	srv->src = src;
	if (split_host_port(listen, host, sizeof(host), &port) < 0) {
		snprintf(err, err_len, "status_listen \"%s\": expected host:port", listen);
		goto fail;
	}
	srv->http = evhttp_new(base);
	if (!srv->http || evhttp_bind_socket(srv->http, host, port) < 0) {
		snprintf(err, err_len, "status API cannot bind %s", listen);
		goto fail;
	}
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET);
	evhttp_set_gencb(srv->http, on_request, srv);
	return srv;
fail:
	tally_status_server_free(srv);
	return NULL;
}

void
tally_status_server_free(struct tally_status_server *srv)
{
	if (!srv)
		return;
	if (srv->http)
		evhttp_free(srv->http);
	free(srv);
}
