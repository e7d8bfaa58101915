#include "out_http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "config.h"
#include "dd_payload.h"
#include "forwarder.h"
#include "fwd_queue.h"
#include "influx_line.h"
#include "log.h"
#include "output.h"
#include "xmem.h"

#define DEFAULT_DD_URL        "https://api.datadoghq.com"
#define DEFAULT_QUEUE_BYTES   (15u * 1024 * 1024)
#define DEFAULT_STORAGE_BYTES (100u * 1024 * 1024)
#define DEFAULT_TIMEOUT_MS    20000
#define ID_MAX                96

struct out_http {
	struct tally_output out; /* first: the agent sees this */
	const struct tally_config *cfg;
	struct tally_fwd *fwd;
	enum tally_influx_precision prec; /* influxdb only */
};

static struct out_http *
from_output(struct tally_output *out)
{
	return (struct out_http *)out;
}

static void
http_drain(struct tally_output *out, struct event_base *base, int64_t deadline_ms)
{
	tally_fwd_drain(from_output(out)->fwd, base, deadline_ms);
}

static void
http_stats(struct tally_output *out, struct tally_batch *b, int64_t ts, uint32_t interval_s,
           const char *host)
{
	struct out_http *o = from_output(out);

	tally_fwd_stats(o->fwd, b, ts, interval_s, host, (const char *const *)o->cfg->tags,
	                o->cfg->n_tags);
}

static struct json_object *
http_status(struct tally_output *out)
{
	return tally_fwd_status(from_output(out)->fwd);
}

static void
http_free(struct tally_output *out)
{
	struct out_http *o = from_output(out);

	if (!o)
		return;
	tally_fwd_free(o->fwd);
	free(o->out.name);
	free(o);
}

static void
datadog_submit(struct tally_output *out, struct tally_batch *b)
{
	struct out_http *o = from_output(out);
	struct tally_dd_result res;

	tally_dd_build(b, NULL, &res);
	for (size_t ep = 0; ep < TALLY_DD__COUNT; ep++) {
		if (res.too_big[ep])
			tally_fwd_count_drop(o->fwd, ep, TALLY_DROP_TOO_BIG, res.too_big[ep]);
		if (res.invalid[ep])
			tally_fwd_count_drop(o->fwd, ep, TALLY_DROP_INVALID, res.invalid[ep]);
		if (res.payloads[ep])
			tally_fwd_enqueue(o->fwd, ep, res.payloads[ep]);
	}
}

static void
influxdb_submit(struct tally_output *out, struct tally_batch *b)
{
	struct out_http *o = from_output(out);
	struct tally_influx_result res;

	tally_influx_build(b, o->prec, 0, &res);
	if (res.too_big)
		tally_fwd_count_drop(o->fwd, 0, TALLY_DROP_TOO_BIG, res.too_big);
	if (res.invalid)
		tally_fwd_count_drop(o->fwd, 0, TALLY_DROP_INVALID, res.invalid);
	if (res.payloads)
		tally_fwd_enqueue(o->fwd, 0, res.payloads);
}

static const struct tally_output_ops datadog_ops = {
	.type = "datadog",
	.submit = datadog_submit,
	.drain = http_drain,
	.stats = http_stats,
	.status = http_status,
	.free = http_free,
};

static const struct tally_output_ops influxdb_ops = {
	.type = "influxdb",
	.submit = influxdb_submit,
	.drain = http_drain,
	.stats = http_stats,
	.status = http_status,
	.free = http_free,
};

/* The forwarder settings shared by every HTTP output. */
static struct tally_fwd_opts
fwd_opts(const struct tally_config *cfg, const char *id, const char *base_url)
{
	return (struct tally_fwd_opts){
		.id = id,
		.base_url = base_url,
		.queue_max_bytes = cfg->forwarder_retry_queue_max_size
		                       ? cfg->forwarder_retry_queue_max_size
		                       : DEFAULT_QUEUE_BYTES,
		.storage_path = cfg->forwarder_storage_path,
		.storage_max_bytes = cfg->forwarder_storage_max_size
		                         ? cfg->forwarder_storage_max_size
		                         : DEFAULT_STORAGE_BYTES,
		.timeout_ms = cfg->forwarder_timeout > 0 ? (long)(cfg->forwarder_timeout * 1000)
		                                         : DEFAULT_TIMEOUT_MS,
		.num_workers = cfg->forwarder_num_workers,
	};
}

static bool
is_http_url(const char *url)
{
	return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

static bool
has_ctl(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

struct tally_output *
tally_out_datadog_new(const struct tally_config *cfg, struct event_base *base, char *err,
                      size_t err_len)
{
	const char *url = cfg->dd_url && *cfg->dd_url ? cfg->dd_url : DEFAULT_DD_URL;
	struct out_http *o = NULL;
	char *key_header = NULL, *base_url = NULL, hint[16];
	size_t key_len;
	struct tally_fwd_opts fo;

	if (!cfg->api_key || !*cfg->api_key || has_ctl(cfg->api_key)) {
		snprintf(err, err_len, "datadog output: api_key is missing or invalid");
		return NULL;
	}
	if (!is_http_url(url)) {
		snprintf(err, err_len,
		         "datadog output: dd_url must start with http:// or https://");
		return NULL;
	}
	key_len = strlen(cfg->api_key);
	snprintf(hint, sizeof(hint), "***%s", key_len > 5 ? cfg->api_key + key_len - 5 : "");
	key_header = tally_xmalloc(key_len + sizeof("DD-API-KEY: "));
	snprintf(key_header, key_len + sizeof("DD-API-KEY: "), "DD-API-KEY: %s", cfg->api_key);
	base_url = tally_xstrdup(url);
	while (*base_url && base_url[strlen(base_url) - 1] == '/')
		base_url[strlen(base_url) - 1] = '\0';
	o = tally_xcalloc(1, sizeof(*o));
	o->out.ops = &datadog_ops;
	o->out.name = tally_xstrdup("datadog");
	o->cfg = cfg;
	fo = fwd_opts(cfg, "datadog", base_url);
	fo.endpoints = tally_dd_endpoint_names;
	fo.n_endpoints = TALLY_DD__COUNT;
	fo.headers = (const char *const *)&key_header;
	fo.n_headers = 1;
	fo.key_hint = hint;
	o->fwd = tally_fwd_new(base, &fo, err, err_len);
	explicit_bzero(key_header, strlen(key_header));
	free(key_header);
	if (o->fwd)
		TALLY_INFO("output", "datadog intake url=%s api_key=%s", base_url, hint);
	free(base_url);
	if (!o->fwd) {
		http_free(&o->out);
		return NULL;
	}
	return &o->out;
}

static void
sanitize_into(char *out, size_t *w, size_t max, const char *s, size_t n)
{
	for (size_t i = 0; i < n && *w + 1 < max; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '-';

		out[(*w)++] = ok ? c : '_';
	}
	out[*w] = '\0';
}

/*
 * A stable name for an InfluxDB output, safe as a folder name and a tag: "influxdb-" +
 * host:port/path (no credentials) + "-" + the db parameter when present.
 */
static void
influx_id(const char *url, char *out, size_t max)
{
	const char *rest = strstr(url, "://") ? strstr(url, "://") + 3 : url;
	const char *slash = rest + strcspn(rest, "/?"),
	           *at = memchr(rest, '@', (size_t)(slash - rest));
	const char *q = strchr(rest, '?'), *db = q ? strstr(q, "db=") : NULL;
	size_t w = 0;

	if (at)
		rest = at + 1;
	snprintf(out, max, "influxdb-");
	w = strlen(out);
	sanitize_into(out, &w, max, rest, q ? (size_t)(q - rest) : strlen(rest));
	if (db && (db[-1] == '?' || db[-1] == '&')) {
		sanitize_into(out, &w, max, "-", 1);
		sanitize_into(out, &w, max, db + 3, strcspn(db + 3, "&"));
	}
}

struct tally_output *
tally_out_influxdb_new(const struct tally_output_conf *oc, const struct tally_config *cfg,
                       struct event_base *base, char *err, size_t err_len)
{
	static const char *const endpoints[] = { "write" };
	struct out_http *o;
	char id[ID_MAX], *url;
	struct tally_fwd_opts fo;
	int has_prec;
	size_t len;

	if (!oc->url || !is_http_url(oc->url) || has_ctl(oc->url)) {
		snprintf(err, err_len,
		         "influxdb output: url must be http(s)://host:port/write?db=...");
		return NULL;
	}
	o = tally_xcalloc(1, sizeof(*o));
	o->out.ops = &influxdb_ops;
	o->cfg = cfg;
	o->prec = tally_influx_url_precision(oc->url, &has_prec);
	len = strlen(oc->url) + sizeof("&precision=s");
	url = tally_xmalloc(len);
	snprintf(url, len, "%s%s", oc->url,
	         has_prec ? "" : (strchr(oc->url, '?') ? "&precision=s" : "?precision=s"));
	influx_id(oc->url, id, sizeof(id));
	o->out.name = tally_xstrdup(id);
	fo = fwd_opts(cfg, id, url);
	fo.endpoints = endpoints;
	fo.n_endpoints = 1;
	o->fwd = tally_fwd_new(base, &fo, err, err_len);
	free(url);
	if (!o->fwd) {
		http_free(&o->out);
		return NULL;
	}
	TALLY_INFO("output", "influxdb output=%s", id);
	return &o->out;
}
