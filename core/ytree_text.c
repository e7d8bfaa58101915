/*
 * ytree_text: documents that do not come from a YAML string: a file read whole and handed to the
 * loader of ytree.c (tally_ydoc_load_file), and plain text such as an environment variable split
 * into a sequence of scalars (tally_ydoc_from_text). Any thread, as ytree.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmem.h"
#include "ytree.h"
#include "ytree_internal.h"

/* Reads at most TALLY_YTREE_MAX_BYTES + 1 bytes, enough to tell a file that is too large. */
static int
read_file(int fd, char **out, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;
	ssize_t r;

	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 16384;
			if (cap > TALLY_YTREE_MAX_BYTES + 1)
				cap = TALLY_YTREE_MAX_BYTES + 1;
			buf = tally_xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n);
		if (r > 0)
			n += (size_t)r;
	} while (n < TALLY_YTREE_MAX_BYTES + 1 && (r > 0 || (r < 0 && errno == EINTR)));
	if (r < 0) {
		int e = errno;

		free(buf);
		return -e;
	}
	*out = buf;
	*len = n;
	return 0;
}

struct tally_ydoc *
tally_ydoc_load_file(const char *path, char *err, size_t err_len)
{
	struct tally_ydoc *doc;
	char *text = NULL;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		tally_ytree_file_error(err, err_len, path, "%s", strerror(errno));
		return NULL;
	}
	rc = read_file(fd, &text, &len);
	close(fd);
	if (rc) {
		tally_ytree_file_error(err, err_len, path, "%s", strerror(-rc));
		return NULL;
	}
	doc = tally_ydoc_load_string(path, text, len, err, err_len);
	free(text);
	return doc;
}

struct tally_ydoc *
tally_ydoc_from_text(const char *name, const char *text, const char *seps)
{
	struct tally_ydoc *doc = tally_ytree_doc_new(name);
	struct tally_ynode *seq;
	size_t cap = 0;

	if (!seps) {
		doc->root = tally_ytree_scalar_new(doc, text, strlen(text));
		return doc;
	}
	seq = tally_ytree_node_new(doc, TALLY_YNODE_SEQ, 0, 0);
	doc->root = seq;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, seps);

		if (n) {
			tally_ytree_grow(&seq->items, seq->n, &cap, sizeof(*seq->items));
			seq->items[seq->n++] = tally_ytree_scalar_new(doc, p, n);
		}
		p += n;
		p += strspn(p, seps);
	}
	return doc;
}
