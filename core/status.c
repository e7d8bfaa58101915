#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <json-c/json.h>

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
	struct tally_rx_counters c;

	tally_selfstats_read(src->stats, &c);
	json_object_object_add(root, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(root, "hostname", json_object_new_string(src->cfg->hostname));
	json_object_object_add(root, "started", json_object_new_int64(src->started_s));
	json_object_object_add(root, "flush_interval",
	                       json_object_new_int((int)src->cfg->flush_interval));
	json_object_object_add(root, "listeners", listeners_json(src, &c));
	json_object_object_add(root, "dogstatsd", dogstatsd_json(&c));
	json_object_object_add(root, "checks", checks ? checks : json_object_new_array());
	json_object_object_add(root, "check_errors", errors ? errors : json_object_new_array());
	json_object_object_add(root, "outputs", outputs_json(src));
	return root;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct tally_status_server *srv = arg;
	struct evbuffer *body;
	struct json_object *doc;
	const char *path = evhttp_request_get_uri(req);

	if (strcmp(path, "/status") != 0 && strncmp(path, "/status?", 8) != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "try /status");
		return;
	}
	doc = tally_status_json(srv->src);
	body = evbuffer_new();
	evbuffer_add_printf(body, "%s\n",
	                    json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "application/json");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
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
