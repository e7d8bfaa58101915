/*
 * tags.h: a container's tags (container_name, docker_image, image_name, image_tag, short_image,
 * container_id, labels as tags) and the include/exclude rules over them. Pure string work,
 * unit-tested without an engine.
 */
#ifndef TALLY_DOCKER_TAGS_H
#define TALLY_DOCKER_TAGS_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#define DOCKER_MAX_TAGS 64

/* A growing list of "key:value" strings, owned by the list. */
struct docker_tags {
	char *items[DOCKER_MAX_TAGS];
	size_t n;
};

/* Appends "key:value" (value cut at 200 bytes); silently drops past DOCKER_MAX_TAGS. */
int docker_tags_add(struct docker_tags *t, const char *key, const char *value);
void docker_tags_clear(struct docker_tags *t);

/*
 * The container name as the Datadog check shows it: of names (each "/name", "/other/alias"),
 * sorted, the first with at most one '/', without its leading '/'; else the id's first 12
 * characters. Writes into out.
 */
void docker_container_name(const char *const *names, size_t n, const char *id, char *out,
                           size_t out_len);

/*
 * Splits an image reference "reg:5000/a/b:tag" into name ("reg:5000/a/b"), tag ("tag", or
 * "latest" when absent) and short name ("b"). A digest ("@sha256:...") is dropped first.
 */
void docker_image_split(const char *image, char *name, size_t name_len, char *tag, size_t tag_len,
                        char *short_name, size_t short_len);

/* Which tags a container's metrics carry (the performance_tags key). */
struct docker_tag_set {
	bool container_name, container_id, docker_image, image_name, image_tag, short_image;
};

/* Parses performance_tags items; unknown names go to *bad (NULL when all were known). */
void docker_tag_set_parse(struct docker_tag_set *s, const char *const *items, size_t n,
                          const char **bad);

/* include/exclude: "key:regex" rules, the regex anchored at the value's start. */
struct docker_filter {
	size_t n, cap; /* compiled rules, allocated slots */
	char **keys;
	regex_t *res;
};

/* Compiles items; -EINVAL with the bad rule in err. Free with docker_filter_clear(). */
int docker_filter_compile(struct docker_filter *f, const char *const *items, size_t n, char *err,
                          size_t err_len);
void docker_filter_clear(struct docker_filter *f);
/* True when one of tags matches one rule of f. */
bool docker_filter_match(const struct docker_filter *f, char *const *tags, size_t n_tags);

#endif
