/*
 * `tally status` and `tally health`: one GET to the running agent's status API (/status,
 * /health), printed as JSON, as a readable page (status_page.c) or as the health reason.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "config.h"
#include "status.h"
#include "xmem.h"

struct body {
	char *data;
	size_t len;
};

static size_t
on_data(char *ptr, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;

	if (b->len + add > 16 * 1024 * 1024)
		return 0;
	b->data = tally_xrealloc(b->data, b->len + add + 1);
	memcpy(b->data + b->len, ptr, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

/* GET http://LISTEN/PATH into b; the HTTP status in *code. -1 when unreachable (printed). */
static int
fetch(const char *listen, const char *path, struct body *b, long *code)
{
	char url[512];
	CURL *h = curl_easy_init();
	CURLcode rc;

	*code = 0;
	if (!h)
		return -1;
	snprintf(url, sizeof(url), "http://%s%s", listen, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "tally: cannot reach the agent at %s: %s\n", url,
		        curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

static bool
status_off(const struct tally_config *cfg)
{
	if (cfg->status_listen && *cfg->status_listen && strcmp(cfg->status_listen, "0") != 0)
		return false;
	fprintf(stderr, "tally: status_listen is off in %s\n", cfg->source);
	return true;
}

int
tally_status_command(const struct tally_config *cfg, int json)
{
	struct body b = { 0 };
	struct json_object *doc;
	long code;
	int rc = 1;

	if (status_off(cfg))
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (fetch(cfg->status_listen, "/status", &b, &code) < 0)
		goto out;
	if (code != 200) {
		fprintf(stderr, "tally status: the agent answered %ld\n", code);
		goto out;
	}
	if (json) {
		fputs(b.data, stdout);
		rc = 0;
		goto out;
	}
	doc = json_tokener_parse(b.data);
	if (!doc) {
		fprintf(stderr, "tally status: the agent answered something that is not JSON\n");
		goto out;
	}
	tally_status_page(doc, stdout);
	json_object_put(doc);
	rc = 0;
out:
	free(b.data);
	curl_global_cleanup();
	return rc;
}

int
tally_health_command(const struct tally_config *cfg)
{
	struct body b = { 0 };
	struct json_object *doc = NULL, *reason = NULL;
	long code;
	int rc = 1;

	if (status_off(cfg))
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (fetch(cfg->status_listen, "/health", &b, &code) < 0)
		goto out;
	doc = b.data ? json_tokener_parse(b.data) : NULL;
	if (doc)
		json_object_object_get_ex(doc, "reason", &reason);
	printf("%s: %s\n", code == 200 ? "healthy" : "unhealthy",
	       reason ? json_object_get_string(reason) : (b.data ? b.data : "no answer"));
	rc = code == 200 ? 0 : 1;
	json_object_put(doc);
out:
	free(b.data);
	curl_global_cleanup();
	return rc;
}
