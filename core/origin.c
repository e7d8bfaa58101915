#include "origin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmem.h"

#define ORIGIN_SLOTS     1024 /* direct-mapped by pid */
#define ORIGIN_TTL_S     60
#define CONTAINER_ID_LEN 64

struct origin_slot {
	pid_t pid;
	int64_t expires_s;
	bool found;
	char tag[TALLY_ORIGIN_TAG_MAX];
};

struct tally_origin {
	char *proc_root;
	struct origin_slot slots[ORIGIN_SLOTS];
};

struct tally_origin *
tally_origin_new(const char *proc_root)
{
	struct tally_origin *o = tally_xcalloc(1, sizeof(*o));

	o->proc_root = tally_xstrdup(proc_root ? proc_root : "/proc");
	return o;
}

void
tally_origin_free(struct tally_origin *o)
{
	if (!o)
		return;
	free(o->proc_root);
	free(o);
}

static bool
is_hex64(const char *p, size_t len)
{
	if (len != CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* A path element that is, or ends in (docker-ID.scope, cri-containerd:ID), a 64-hex id. */
static const char *
element_id(const char *el, size_t len)
{
	const char *dash;

	if (len >= 6 && memcmp(el + len - 6, ".scope", 6) == 0)
		len -= 6;
	if (is_hex64(el, len))
		return el;
	dash = len > CONTAINER_ID_LEN ? el + len - CONTAINER_ID_LEN - 1 : NULL;
	if (dash && (*dash == '-' || *dash == ':') && is_hex64(dash + 1, CONTAINER_ID_LEN))
		return dash + 1;
	return NULL;
}

/* The last id found on one "N:controllers:/path" line, or NULL. */
static const char *
line_id(const char *line, const char *end)
{
	const char *path = memchr(line, ':', (size_t)(end - line));
	const char *found = NULL;

	path = path ? memchr(path + 1, ':', (size_t)(end - path - 1)) : NULL;
	if (!path)
		return NULL;
	for (const char *el = path + 1; el < end;) {
		const char *slash = memchr(el, '/', (size_t)(end - el));
		const char *stop = slash ? slash : end;
		const char *id = element_id(el, (size_t)(stop - el));

		if (id)
			found = id;
		el = stop + 1;
	}
	return found;
}

int
tally_origin_parse_cgroup(const char *text, size_t len, char *id)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		const char *found = line_id(p, stop);

		if (found) {
			memcpy(id, found, CONTAINER_ID_LEN);
			id[CONTAINER_ID_LEN] = '\0';
			return 0;
		}
		p = stop + 1;
	}
	return -ENOENT;
}

static bool
lookup(struct tally_origin *o, pid_t pid, char *id)
{
	char path[256], buf[8192];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/cgroup", o->proc_root, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 && tally_origin_parse_cgroup(buf, (size_t)n, id) == 0;
}

const char *
tally_origin_tag(struct tally_origin *o, pid_t pid, int64_t now_s)
{
	struct origin_slot *s;
	char id[CONTAINER_ID_LEN + 1];

	if (pid <= 0)
		return NULL;
	s = &o->slots[(unsigned)pid % ORIGIN_SLOTS];
	if (s->pid != pid || now_s >= s->expires_s) {
		s->pid = pid;
		s->expires_s = now_s + ORIGIN_TTL_S;
		s->found = lookup(o, pid, id);
		if (s->found)
			snprintf(s->tag, sizeof(s->tag), "container_id:%s", id);
	}
	return s->found ? s->tag : NULL;
}
