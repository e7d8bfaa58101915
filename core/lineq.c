#include "lineq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xmem.h"

/* Lines are packed into blocks of this size; a longer line gets a block of its own. */
#define LINEQ_BLOCK_BYTES (16 * 1024)

struct tally_lineq_block {
	struct tally_lineq_block *next;
	size_t start; /* first byte of the first line still queued */
	size_t end;   /* bytes filled */
	size_t cap;
	size_t lines;
	bool in_flight;
	char data[];
};

struct tally_lineq *
tally_lineq_new(size_t max_bytes)
{
	struct tally_lineq *q = tally_xcalloc(1, sizeof(*q));

	q->max_bytes = max_bytes;
	return q;
}

void
tally_lineq_free(struct tally_lineq *q)
{
	struct tally_lineq_block *b, *next;

	if (!q)
		return;
	for (b = q->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(q);
}

/* Unlinks b (whose predecessor is prev, NULL for the head) and frees it. */
static void
block_unlink(struct tally_lineq *q, struct tally_lineq_block *prev, struct tally_lineq_block *b)
{
	if (prev)
		prev->next = b->next;
	else
		q->head = b->next;
	if (q->tail == b)
		q->tail = prev;
	free(b);
}

/* Removes the first line of b, which is not in flight; returns its length. */
static size_t
block_pop_line(struct tally_lineq *q, struct tally_lineq_block *b)
{
	const char *p = b->data + b->start;
	const char *nl = memchr(p, '\n', b->end - b->start);
	size_t len = (size_t)(nl - p) + 1;

	b->start += len;
	b->lines--;
	q->lines--;
	q->bytes -= len;
	return len;
}

/*
 * Removes the oldest line that is not in flight, copying it to out unless out is NULL.
 * Returns its length, 0 when every queued line is in flight.
 */
static size_t
pop_oldest(struct tally_lineq *q, char *out)
{
	struct tally_lineq_block *prev = NULL, *b = q->head;
	const char *line;
	size_t len;

	while (b && b->in_flight) {
		prev = b;
		b = b->next;
	}
	if (!b)
		return 0;
	line = b->data + b->start;
	len = block_pop_line(q, b);
	if (out)
		memcpy(out, line, len);
	if (b->start == b->end)
		block_unlink(q, prev, b);
	return len;
}

/* Drops the oldest line that is not in flight; false when every queued line is in flight. */
static bool
drop_oldest(struct tally_lineq *q)
{
	size_t len = pop_oldest(q, NULL);

	if (len == 0)
		return false;
	q->dropped_bytes += len;
	q->dropped_lines++;
	return true;
}

size_t
tally_lineq_take(struct tally_lineq *q, size_t keep_bytes, char **buf, size_t *len)
{
	size_t n = 0, used = 0, got;
	char *out;

	*buf = NULL;
	*len = 0;
	if (q->bytes <= keep_bytes)
		return 0;
	out = tally_xmalloc(q->bytes);
	while (q->bytes > keep_bytes && (got = pop_oldest(q, out + used)) > 0) {
		used += got;
		n++;
	}
	if (n == 0) {
		free(out);
		return 0;
	}
	*buf = out;
	*len = used;
	return n;
}

static struct tally_lineq_block *
tail_with_room(struct tally_lineq *q, size_t len)
{
	struct tally_lineq_block *b = q->tail;

	if (b && !b->in_flight && b->cap - b->end >= len)
		return b;
	size_t cap = len > LINEQ_BLOCK_BYTES ? len : LINEQ_BLOCK_BYTES;

	b = tally_xmalloc(sizeof(*b) + cap);
	b->next = NULL;
	b->start = b->end = b->lines = 0;
	b->cap = cap;
	b->in_flight = false;
	if (q->tail)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	return b;
}

int
tally_lineq_append(struct tally_lineq *q, const char *line, size_t len)
{
	struct tally_lineq_block *b;

	if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		return -EINVAL;
	while (q->bytes + len > q->max_bytes) {
		if (!drop_oldest(q)) {
			q->dropped_lines++;
			q->dropped_bytes += len;
			return -ENOBUFS;
		}
	}
	b = tail_with_room(q, len);
	memcpy(b->data + b->end, line, len);
	b->end += len;
	b->lines++;
	q->lines++;
	q->bytes += len;
	return 0;
}

bool
tally_lineq_next(struct tally_lineq *q, const char **data, size_t *len)
{
	struct tally_lineq_block *b = q->head;

	while (b && b->in_flight)
		b = b->next;
	if (!b)
		return false;
	b->in_flight = true;
	*data = b->data + b->start;
	*len = b->end - b->start;
	return true;
}

/* Acks up to n bytes of the head block; returns how many were consumed. */
static size_t
ack_head(struct tally_lineq *q, struct tally_lineq_block *b, size_t n)
{
	size_t avail = b->end - b->start - q->acked_partial;
	size_t take = n < avail ? n : avail;
	size_t upto = q->acked_partial + take; /* acked bytes from b->start */
	const char *nl;

	while (upto > 0 && (nl = memchr(b->data + b->start, '\n', upto)) != NULL) {
		size_t line = (size_t)(nl - (b->data + b->start)) + 1;

		block_pop_line(q, b);
		q->sent_lines++;
		q->sent_bytes += line;
		upto -= line;
	}
	q->acked_partial = upto;
	if (b->start == b->end)
		block_unlink(q, NULL, b);
	return take;
}

void
tally_lineq_ack(struct tally_lineq *q, size_t n)
{
	while (n > 0 && q->head && q->head->in_flight) {
		size_t used = ack_head(q, q->head, n);

		if (used == 0)
			break;
		n -= used;
	}
}

void
tally_lineq_rewind(struct tally_lineq *q)
{
	for (struct tally_lineq_block *b = q->head; b; b = b->next)
		b->in_flight = false;
	q->acked_partial = 0;
}

size_t
tally_lineq_inflight_bytes(const struct tally_lineq *q)
{
	size_t n = 0;

	for (const struct tally_lineq_block *b = q->head; b && b->in_flight; b = b->next)
		n += b->end - b->start;
	return n - q->acked_partial;
}
