/*
 * tags.c: container tags and the include/exclude rules (see tags.h).
 */
#include "tags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_VALUE_MAX 200

int
docker_tags_add(struct docker_tags *t, const char *key, const char *value)
{
	char buf[TAG_VALUE_MAX + 80];

	if (t->n >= DOCKER_MAX_TAGS)
		return -ENOSPC;
	if (key)
		snprintf(buf, sizeof(buf), "%.60s:%.*s", key, TAG_VALUE_MAX, value ? value : "");
	else
		snprintf(buf, sizeof(buf), "%.*s", TAG_VALUE_MAX, value ? value : "");
	t->items[t->n] = strdup(buf);
	if (!t->items[t->n])
		return -ENOMEM;
	t->n++;
	return 0;
}

void
docker_tags_clear(struct docker_tags *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->items[i]);
	t->n = 0;
}

void
docker_container_name(const char *const *names, size_t n, const char *id, char *out, size_t out_len)
{
	const char *best = NULL;

	/* the smallest qualifying name: the same as sorting and taking the first */
	for (size_t i = 0; i < n; i++) {
		const char *s = names[i];
		const char *slash = strchr(s[0] == '/' ? s + 1 : s, '/');

		if (slash || !s[0])
			continue;
		if (!best || strcmp(s, best) < 0)
			best = s;
	}
	if (best)
		snprintf(out, out_len, "%s", best[0] == '/' ? best + 1 : best);
	else
		snprintf(out, out_len, "%.12s", id ? id : "");
}

void
docker_image_split(const char *image, char *name, size_t name_len, char *tag, size_t tag_len,
                   char *short_name, size_t short_len)
{
	size_t len = strcspn(image, "@"); /* a digest is not part of name or tag */
	const char *colon = NULL, *slash = NULL;

	for (size_t i = 0; i < len; i++) {
		if (image[i] == '/')
			slash = image + i;
		if (image[i] == ':')
			colon = image + i;
	}
	/* a colon before the last '/' is a registry port, not a tag */
	if (colon && slash && colon < slash)
		colon = NULL;
	if (colon) {
		snprintf(name, name_len, "%.*s", (int)(colon - image), image);
		snprintf(tag, tag_len, "%.*s", (int)(len - (size_t)(colon - image) - 1), colon + 1);
	} else {
		snprintf(name, name_len, "%.*s", (int)len, image);
		snprintf(tag, tag_len, "latest");
	}
	slash = strrchr(name, '/');
	snprintf(short_name, short_len, "%s", slash ? slash + 1 : name);
}

void
docker_tag_set_parse(struct docker_tag_set *s, const char *const *items, size_t n, const char **bad)
{
	memset(s, 0, sizeof(*s));
	*bad = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *it = items[i];

		if (strcmp(it, "container_name") == 0)
			s->container_name = true;
		else if (strcmp(it, "container_id") == 0)
			s->container_id = true;
		else if (strcmp(it, "docker_image") == 0)
			s->docker_image = true;
		else if (strcmp(it, "image_name") == 0)
			s->image_name = true;
		else if (strcmp(it, "image_tag") == 0)
			s->image_tag = true;
		else if (strcmp(it, "short_image") == 0)
			s->short_image = true;
		else if (!*bad)
			*bad = it;
	}
}

int
docker_filter_compile(struct docker_filter *f, const char *const *items, size_t n, char *err,
                      size_t err_len)
{
	memset(f, 0, sizeof(*f));
	if (n == 0)
		return 0;
	f->keys = calloc(n, sizeof(*f->keys));
	f->res = calloc(n, sizeof(*f->res));
	if (!f->keys || !f->res)
		goto nomem;
	f->cap = n;
	for (size_t i = 0; i < n; i++) {
		const char *colon = strchr(items[i], ':');
		size_t rl;
		char *re;
		int rc;

		if (!colon || colon == items[i]) {
			snprintf(err, err_len, "rule \"%s\" is not key:regex", items[i]);
			docker_filter_clear(f);
			return -EINVAL;
		}
		f->keys[i] = strndup(items[i], (size_t)(colon - items[i]) + 1); /* with ':' */
		rl = strlen(colon + 1) + 4;
		re = malloc(rl);
		if (!f->keys[i] || !re) {
			free(re);
			goto nomem;
		}
		snprintf(re, rl, "^(%s)", colon + 1);
		rc = regcomp(&f->res[i], re, REG_EXTENDED | REG_NOSUB);
		free(re);
		if (rc != 0) {
			snprintf(err, err_len, "rule \"%s\": bad regular expression", items[i]);
			docker_filter_clear(f);
			return -EINVAL;
		}
		f->n = i + 1;
	}
	return 0;
nomem:
	snprintf(err, err_len, "out of memory");
	docker_filter_clear(f);
	return -ENOMEM;
}

void
docker_filter_clear(struct docker_filter *f)
{
	for (size_t i = 0; i < f->n; i++)
		regfree(&f->res[i]);
	for (size_t i = 0; f->keys && i < f->cap; i++)
		free(f->keys[i]);
	free(f->keys);
	free(f->res);
	memset(f, 0, sizeof(*f));
}

bool
docker_filter_match(const struct docker_filter *f, char *const *tags, size_t n_tags)
{
	for (size_t r = 0; r < f->n; r++) {
		size_t kl = strlen(f->keys[r]);

		for (size_t i = 0; i < n_tags; i++)
			if (strncmp(tags[i], f->keys[r], kl) == 0 &&
			    regexec(&f->res[r], tags[i] + kl, 0, NULL, 0) == 0)
				return true;
	}
	return false;
}
