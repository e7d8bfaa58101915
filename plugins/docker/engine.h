/*
 * engine.h: a small Docker Engine API client (HTTP/1.1 over the Unix socket or TCP, libcurl).
 *
 * One struct docker_engine per check instance (one thread at a time). The first request
 * negotiates the API version from GET /version (never a pinned old version: newer engines
 * refuse those), later requests go to /v<version>/<path>. Every request has a connect and a
 * total timeout, and stops at the caller's deadline too, so a dead, slow or silent socket
 * fails a run within its timeout. Errors come back as a negative errno and a one-line reason
 * in eng->err.
 */
#ifndef TALLY_DOCKER_ENGINE_H
#define TALLY_DOCKER_ENGINE_H

#include <stddef.h>

struct json_object;

/* The client's newest API version; the engine's own is used when it is older. */
#define DOCKER_API_MAX_MAJOR 1
#define DOCKER_API_MAX_MINOR 43

struct docker_engine;

/*
 * A client for url: "unix:///path/docker.sock", "tcp://host:port" or "http://host:port".
 * timeout_s bounds connecting and each whole request. NULL on a bad url (reason in err).
 */
struct docker_engine *docker_engine_new(const char *url, double timeout_s, char *err,
                                        size_t err_len);
void docker_engine_free(struct docker_engine *eng);

/*
 * Sets the monotonic time (seconds, as the check's clock) after which no request may run;
 * 0 for none. A request's timeout is the smaller of timeout_s and what is left.
 */
void docker_engine_set_deadline(struct docker_engine *eng, double deadline_s);

/*
 * GET path ("/containers/json?all=1") under the negotiated version and parse the JSON
 * answer into *out (the caller owns it: json_object_put). Returns 0, or -ETIMEDOUT,
 * -ECONNREFUSED, -ENOENT (no socket), -EPROTO (not HTTP 200 or not JSON), -ENOMEM, with a
 * reason in docker_engine_error().
 */
int docker_engine_get(struct docker_engine *eng, const char *path, struct json_object **out);

/*
 * GET path like docker_engine_get(), but the answer is left unparsed (e.g. /events: a
 * sequence of JSON objects): *body (NUL-terminated, *len bytes) is borrowed until the next
 * request on eng.
 */
int docker_engine_get_raw(struct docker_engine *eng, const char *path, const char **body,
                          size_t *len);

/* Requests docker_engine_get_many() has in flight at once. */
#define DOCKER_MAX_PARALLEL 32

/*
 * GETs paths[0..n) (as docker_engine_get) concurrently, DOCKER_MAX_PARALLEL at a time and
 * within the deadline: the engine's stats endpoint takes about a second per container, so one
 * after another would not fit a run. out[i] gets each parsed answer (the caller puts them) or
 * NULL; the reason of the last failure is in docker_engine_error(). Returns how many succeeded.
 */
size_t docker_engine_get_many(struct docker_engine *eng, const char *const *paths, size_t n,
                              struct json_object **out);

/* The negotiated version ("1.41"), or "" before the first success. */
const char *docker_engine_version(const struct docker_engine *eng);

/* The reason of the last failure (borrowed). */
const char *docker_engine_error(const struct docker_engine *eng);

/* Forgets the negotiated version (after the engine went away it may come back newer). */
void docker_engine_reset(struct docker_engine *eng);

/* Picks the version to use from the engine's ApiVersion and MinAPIVersion ("1.41"); pure. */
int docker_api_pick(const char *engine_max, const char *engine_min, char *out, size_t out_len);

#endif
