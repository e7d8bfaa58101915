#include "fwd_queue.h"

#include <stdlib.h>

#include "xmem.h"

struct tally_fwd_payload *
tally_fwd_payload_new(const char *path, const char *content_type, const char *content_encoding,
                      unsigned char *body, size_t len)
{
	struct tally_fwd_payload *p = tally_xcalloc(1, sizeof(*p));

	p->path = tally_xstrdup(path ? path : "");
	p->content_type = tally_xstrdup(content_type ? content_type : "application/octet-stream");
	p->content_encoding = content_encoding ? tally_xstrdup(content_encoding) : NULL;
	p->body = body;
	p->len = len;
	return p;
}

void
tally_fwd_payload_free(struct tally_fwd_payload *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->content_type);
	free(p->content_encoding);
	free(p->body);
	free(p);
}

void
tally_fwd_payload_free_list(struct tally_fwd_payload *p)
{
	while (p) {
		struct tally_fwd_payload *next = p->next;

		tally_fwd_payload_free(p);
		p = next;
	}
}

unsigned
tally_fwd_payload_count(const struct tally_fwd_payload *p)
{
	unsigned n = 0;

	for (; p; p = p->next)
		n++;
	return n;
}

void
tally_fwd_queue_init(struct tally_fwd_queue *q, size_t max_bytes)
{
	*q = (struct tally_fwd_queue){ .max_bytes = max_bytes };
}

void
tally_fwd_queue_clear(struct tally_fwd_queue *q)
{
	tally_fwd_payload_free_list(tally_fwd_queue_steal(q));
}

static struct tally_fwd_payload *
pop_head(struct tally_fwd_queue *q)
{
	struct tally_fwd_payload *p = q->head;

	if (!p)
		return NULL;
	q->head = p->next;
	if (!q->head)
		q->tail = NULL;
	p->next = NULL;
	q->count--;
	q->bytes -= p->len;
	return p;
}

static void
append(struct tally_fwd_payload **list, struct tally_fwd_payload *p)
{
	while (*list)
		list = &(*list)->next;
	*list = p;
}

size_t
tally_fwd_queue_shrink(struct tally_fwd_queue *q, size_t target_bytes,
                       struct tally_fwd_payload **evicted)
{
	struct tally_fwd_payload *out = NULL, *tail = NULL;
	size_t n = 0;

	while (q->head && q->bytes + q->held > target_bytes) {
		struct tally_fwd_payload *p = pop_head(q);

		if (tail)
			tail->next = p;
		else
			out = p;
		tail = p;
		n++;
	}
	if (out)
		append(evicted, out);
	return n;
}

size_t
tally_fwd_queue_push(struct tally_fwd_queue *q, struct tally_fwd_payload *p,
                     struct tally_fwd_payload **evicted)
{
	p->next = NULL;
	if (q->tail)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->count++;
	q->bytes += p->len;
	if (!q->max_bytes)
		return 0;
	return tally_fwd_queue_shrink(q, q->max_bytes, evicted);
}

struct tally_fwd_payload *
tally_fwd_queue_take(struct tally_fwd_queue *q)
{
	struct tally_fwd_payload *p = pop_head(q);

	if (p)
		q->held += p->len;
	return p;
}

void
tally_fwd_queue_done(struct tally_fwd_queue *q, const struct tally_fwd_payload *p)
{
	q->held -= p->len < q->held ? p->len : q->held;
}

void
tally_fwd_queue_return(struct tally_fwd_queue *q, struct tally_fwd_payload *p)
{
	tally_fwd_queue_done(q, p);
	p->next = q->head;
	q->head = p;
	if (!q->tail)
		q->tail = p;
	q->count++;
	q->bytes += p->len;
}

struct tally_fwd_payload *
tally_fwd_queue_steal(struct tally_fwd_queue *q)
{
	struct tally_fwd_payload *all = q->head;

	q->head = q->tail = NULL;
	q->count = 0;
	q->bytes = 0;
	return all;
}
