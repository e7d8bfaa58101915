/*
 * `tally status`: one GET to the running agent's status API, printed as JSON or as a summary.
 */
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

static int
fetch(const char *listen, struct body *b)
{
	char url[512];
	CURL *h = curl_easy_init();
	CURLcode rc;
	long code = 0;

	if (!h)
		return -1;
	snprintf(url, sizeof(url), "http://%s/status", listen);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "tally status: cannot reach the agent at %s: %s\n", url,
		        curl_easy_strerror(rc));
		return -1;
	}
	if (code != 200) {
		fprintf(stderr, "tally status: %s answered %ld\n", url, code);
		return -1;
	}
	return 0;
}

static void
print_object_fields(const char *title, struct json_object *o)
{
	printf("%s\n", title);
	json_object_object_foreach(o, key, val)
	{
		if (json_object_is_type(val, json_type_object) ||
		    json_object_is_type(val, json_type_array))
			printf("  %-30s %s\n", key, json_object_to_json_string(val));
		else
			printf("  %-30s %s\n", key, json_object_get_string(val));
	}
}

static void
print_array(const char *title, struct json_object *arr)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	printf("%s (%zu)\n", title, n);
	for (size_t i = 0; i < n; i++)
		printf("  %s\n", json_object_to_json_string(json_object_array_get_idx(arr, i)));
}

/* Check configuration errors, one "FILE:LINE:COL: message" a line. */
static void
print_errors(struct json_object *arr)
{
	size_t n = json_object_array_length(arr);

	printf("check errors (%zu)\n", n);
	for (size_t i = 0; i < n; i++)
		printf("  %s\n", json_object_get_string(json_object_array_get_idx(arr, i)));
}

static void
print_summary(struct json_object *doc)
{
	struct json_object *v;

	if (json_object_object_get_ex(doc, "version", &v))
		printf("tally %s", json_object_get_string(v));
	if (json_object_object_get_ex(doc, "hostname", &v))
		printf(" on %s", json_object_get_string(v));
	printf("\n");
	if (json_object_object_get_ex(doc, "listeners", &v))
		print_array("listeners", v);
	if (json_object_object_get_ex(doc, "dogstatsd", &v))
		print_object_fields("dogstatsd", v);
	if (json_object_object_get_ex(doc, "checks", &v))
		print_array("checks", v);
	if (json_object_object_get_ex(doc, "check_errors", &v) &&
	    json_object_is_type(v, json_type_array) && json_object_array_length(v))
		print_errors(v);
	if (json_object_object_get_ex(doc, "outputs", &v))
		print_array("outputs", v);
}

int
tally_status_command(const struct tally_config *cfg, int json)
{
	struct body b = { 0 };
	struct json_object *doc;
	int rc = 1;

	if (!cfg->status_listen || !*cfg->status_listen || strcmp(cfg->status_listen, "0") == 0) {
		fprintf(stderr, "tally status: status_listen is off in %s\n", cfg->source);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (fetch(cfg->status_listen, &b) < 0)
		goto out;
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
	print_summary(doc);
	json_object_put(doc);
	rc = 0;
out:
	free(b.data);
	curl_global_cleanup();
	return rc;
}
