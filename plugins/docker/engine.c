/*
 * engine.c: the Docker Engine API client (see engine.h). libcurl's easy interface, one handle
 * per instance so the connection is reused between the run's requests.
 */
#include "engine.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#define ENGINE_MAX_BODY (64u << 20) /* an answer larger than this is refused, not buffered */

/* One answer being received. */
struct ebuf {
	char *body;
	size_t len, cap;
	bool too_big;
};

struct docker_engine {
	CURL *curl;
	char *unix_path; /* NULL for TCP */
	char *base;      /* "http://localhost" or "http://host:port" */
	double timeout_s;
	double deadline_s;
	char version[16];
	char err[512];
	char curl_err[CURL_ERROR_SIZE]; /* curl writes here during a request */
	struct ebuf buf;                /* the answer of the last single request */
};

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
parse_url(struct docker_engine *eng, const char *url, char *err, size_t err_len)
{
	if (strncmp(url, "unix://", 7) == 0) {
		if (url[7] != '/') {
			snprintf(err, err_len, "url %s: unix:// needs an absolute path", url);
			return -EINVAL;
		}
		eng->unix_path = strdup(url + 7);
		eng->base = strdup("http://localhost");
	} else if (strncmp(url, "tcp://", 6) == 0 || strncmp(url, "http://", 7) == 0) {
		const char *hp = url + (url[0] == 't' ? 6 : 7);
		size_t n = strcspn(hp, "/");

		if (n == 0) {
			snprintf(err, err_len, "url %s: no host", url);
			return -EINVAL;
		}
		eng->base = malloc(n + 8);
		if (eng->base)
			snprintf(eng->base, n + 8, "http://%.*s", (int)n, hp);
	} else {
		snprintf(err, err_len, "url %s: expected unix:///path or tcp://host:port", url);
		return -EINVAL;
	}
	if (!eng->base || (url[0] == 'u' && !eng->unix_path)) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

struct docker_engine *
docker_engine_new(const char *url, double timeout_s, char *err, size_t err_len)
{
	struct docker_engine *eng = calloc(1, sizeof(*eng));

	if (!eng) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	eng->timeout_s = timeout_s > 0 ? timeout_s : 5;
	if (parse_url(eng, url ? url : "", err, err_len) < 0)
		goto fail;
	eng->curl = curl_easy_init();
	if (!eng->curl) {
		snprintf(err, err_len, "curl_easy_init failed");
		goto fail;
	}
	return eng;
fail:
	docker_engine_free(eng);
	return NULL;
}

void
docker_engine_free(struct docker_engine *eng)
{
	if (!eng)
		return;
	if (eng->curl)
		curl_easy_cleanup(eng->curl);
	free(eng->unix_path);
	free(eng->base);
	free(eng->buf.body);
	free(eng);
}

void
docker_engine_set_deadline(struct docker_engine *eng, double deadline_s)
{
	eng->deadline_s = deadline_s;
}

const char *
docker_engine_version(const struct docker_engine *eng)
{
	return eng->version;
}

const char *
docker_engine_error(const struct docker_engine *eng)
{
	return eng->err;
}

void
docker_engine_reset(struct docker_engine *eng)
{
	eng->version[0] = '\0';
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct ebuf *b = arg;
	size_t n = size * nmemb;

	if (b->len + n + 1 > ENGINE_MAX_BODY) {
		b->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		char *nb;

		while (cap < b->len + n + 1)
			cap *= 2;
		nb = realloc(b->body, cap);
		if (!nb)
			return 0;
		b->body = nb;
		b->cap = cap;
	}
	memcpy(b->body + b->len, data, n);
	b->len += n;
	b->body[b->len] = '\0';
	return n;
}

/* Milliseconds this request may take: timeout_s, cut at the deadline; <= 0 when past it. */
static long
request_ms(const struct docker_engine *eng)
{
	double t = eng->timeout_s;

	if (eng->deadline_s > 0) {
		double left = eng->deadline_s - mono_s();

		if (left < t)
			t = left;
	}
	return (long)(t * 1000);
}

static int
curl_errno(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EPROTO;
	}
}

/* Sets c up for GET url_path into b, within ms; curl's message goes to cerr. */
static void
setup(const struct docker_engine *eng, CURL *c, const char *url_path, struct ebuf *b, char *cerr,
      long ms)
{
	char url[1024];

	snprintf(url, sizeof(url), "%s%s", eng->base, url_path);
	b->len = 0;
	b->too_big = false;
	curl_easy_reset(c);
	cerr[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url); /* copied by curl */
	if (eng->unix_path)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, eng->unix_path);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* worker threads: no SIGALRM */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tally-docker-check");
}

/* The outcome of a finished transfer: 0, or a negative errno with the reason in eng->err. */
static int
outcome(struct docker_engine *eng, CURL *c, CURLcode rc, const char *url_path, const struct ebuf *b,
        const char *cerr)
{
	long status = 0;

	if (rc != CURLE_OK) {
		const char *where = eng->unix_path ? eng->unix_path : eng->base;

		long os_errno = 0;

		/* For a Unix socket curl says "localhost port 80": name the socket. */
		curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
		if (b->too_big)
			snprintf(eng->err, sizeof(eng->err), "GET %s: answer over %u bytes",
			         url_path, ENGINE_MAX_BODY);
		else if (rc == CURLE_COULDNT_CONNECT && eng->unix_path && os_errno > 0)
			snprintf(eng->err, sizeof(eng->err), "GET %s: connect to %s: %s", url_path,
			         eng->unix_path, strerror((int)os_errno));
		else
			snprintf(eng->err, sizeof(eng->err), "GET %s on %s: %s", url_path, where,
			         cerr[0] ? cerr : curl_easy_strerror(rc));
		return curl_errno(rc);
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		snprintf(eng->err, sizeof(eng->err), "GET %s: HTTP %ld: %.200s", url_path, status,
		         b->len ? b->body : "");
		return -EPROTO;
	}
	return 0;
}

/* One GET of url_path (already versioned); the answer stays in eng->buf. */
static int
http_get(struct docker_engine *eng, const char *url_path)
{
	long ms = request_ms(eng);

	if (ms <= 0) {
		snprintf(eng->err, sizeof(eng->err), "GET %s: the run's deadline has passed",
		         url_path);
		return -ETIMEDOUT;
	}
	setup(eng, eng->curl, url_path, &eng->buf, eng->curl_err, ms);
	return outcome(eng, eng->curl, curl_easy_perform(eng->curl), url_path, &eng->buf,
	               eng->curl_err);
}

static int
parse_body(struct docker_engine *eng, const struct ebuf *b, const char *what,
           struct json_object **out)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, b->body ? b->body : "", (int)b->len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(eng->err, sizeof(eng->err), "GET %s: the answer is not JSON (%zu bytes)",
		         what, b->len);
		json_object_put(o);
		json_tokener_free(tok);
		return -EPROTO;
	}
	json_tokener_free(tok);
	*out = o;
	return 0;
}

static bool
parse_ver(const char *s, int *maj, int *min)
{
	return s && sscanf(s, "%d.%d", maj, min) == 2;
}

int
docker_api_pick(const char *engine_max, const char *engine_min, char *out, size_t out_len)
{
	int emaj, emin, lmaj = 0, lmin = 0;
	int maj = DOCKER_API_MAX_MAJOR, min = DOCKER_API_MAX_MINOR;

	if (!parse_ver(engine_max, &emaj, &emin))
		return -EPROTO;
	if (emaj < maj || (emaj == maj && emin < min)) {
		maj = emaj;
		min = emin;
	}
	/* never below the engine's minimum: it would refuse every call */
	if (parse_ver(engine_min, &lmaj, &lmin) && (maj < lmaj || (maj == lmaj && min < lmin))) {
		maj = lmaj;
		min = lmin;
	}
	snprintf(out, out_len, "%d.%d", maj, min);
	return 0;
}

static int
negotiate(struct docker_engine *eng)
{
	struct json_object *v = NULL, *mx = NULL, *mn = NULL;
	int rc = http_get(eng, "/version");

	if (rc < 0)
		return rc;
	rc = parse_body(eng, &eng->buf, "/version", &v);
	if (rc < 0)
		return rc;
	json_object_object_get_ex(v, "ApiVersion", &mx);
	json_object_object_get_ex(v, "MinAPIVersion", &mn);
	rc = docker_api_pick(json_object_get_string(mx), json_object_get_string(mn), eng->version,
	                     sizeof(eng->version));
	if (rc < 0)
		snprintf(eng->err, sizeof(eng->err), "GET /version: no ApiVersion in the answer");
	json_object_put(v);
	return rc;
}

int
docker_engine_get_raw(struct docker_engine *eng, const char *path, const char **body, size_t *len)
{
	char vpath[900];
	int rc;

	*body = "";
	*len = 0;
	if (!eng->version[0] && (rc = negotiate(eng)) < 0) {
		eng->version[0] = '\0';
		return rc;
	}
	snprintf(vpath, sizeof(vpath), "/v%s%s", eng->version, path);
	rc = http_get(eng, vpath);
	if (rc < 0)
		return rc;
	*body = eng->buf.body ? eng->buf.body : "";
	*len = eng->buf.len;
	return 0;
}

int
docker_engine_get(struct docker_engine *eng, const char *path, struct json_object **out)
{
	const char *body;
	size_t len;
	int rc = docker_engine_get_raw(eng, path, &body, &len);

	*out = NULL;
	if (rc < 0)
		return rc;
	return parse_body(eng, &eng->buf, path, out);
}

/* One transfer of docker_engine_get_many(). */
struct many_req {
	CURL *c;
	struct ebuf b;
	char cerr[CURL_ERROR_SIZE];
	size_t idx;
};

/* Runs reqs[0..n) at once on a multi handle, storing each parsed answer in out[idx]. */
static size_t
run_batch(struct docker_engine *eng, CURLM *m, struct many_req *reqs, size_t n,
          const char *const *paths, struct json_object **out)
{
	char vpath[900];
	size_t ok = 0;
	int running = 0, left;
	long ms = request_ms(eng);
	CURLMsg *msg;

	for (size_t i = 0; i < n; i++) {
		snprintf(vpath, sizeof(vpath), "/v%s%s", eng->version, paths[reqs[i].idx]);
		setup(eng, reqs[i].c, vpath, &reqs[i].b, reqs[i].cerr, ms);
		curl_easy_setopt(reqs[i].c, CURLOPT_PRIVATE, &reqs[i]);
		curl_multi_add_handle(m, reqs[i].c);
	}
	do {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(m, NULL, 0, 200, NULL);
	} while (running);
	while ((msg = curl_multi_info_read(m, &left))) {
		struct many_req *r = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r && outcome(eng, r->c, msg->data.result, paths[r->idx], &r->b, r->cerr) == 0 &&
		    parse_body(eng, &r->b, paths[r->idx], &out[r->idx]) == 0)
			ok++;
	}
	for (size_t i = 0; i < n; i++)
		curl_multi_remove_handle(m, reqs[i].c);
	return ok;
}

size_t
docker_engine_get_many(struct docker_engine *eng, const char *const *paths, size_t n,
                       struct json_object **out)
{
	struct many_req reqs[DOCKER_MAX_PARALLEL];
	size_t ok = 0, k = 0;
	CURLM *m;

	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	if (n == 0 || (!eng->version[0] && negotiate(eng) < 0))
		return 0;
	m = curl_multi_init();
	memset(reqs, 0, sizeof(reqs));
	for (k = 0; m && k < DOCKER_MAX_PARALLEL && k < n; k++)
		if (!(reqs[k].c = curl_easy_init()))
			break;
	for (size_t i = 0; m && k > 0 && i < n && request_ms(eng) > 0; i += k) {
		size_t batch = n - i < k ? n - i : k;

		for (size_t j = 0; j < batch; j++)
			reqs[j].idx = i + j;
		ok += run_batch(eng, m, reqs, batch, paths, out);
	}
	for (size_t j = 0; j < DOCKER_MAX_PARALLEL; j++) {
		if (reqs[j].c)
			curl_easy_cleanup(reqs[j].c);
		free(reqs[j].b.body);
	}
	if (m)
		curl_multi_cleanup(m);
	return ok;
}
