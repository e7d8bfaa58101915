#include "rx_backlog.h"

#include <stdlib.h>
#include <string.h>

#include "origin.h"
#include "rx_process.h"
#include "xmem.h"

bool
tally_rx_backlog_push(struct tally_rx_backlog *bl, enum tally_listener_kind kind, const char *buf,
                      size_t len, bool truncated, pid_t sender)
{
	if (bl->len + len > bl->max_bytes)
		return false;
	if (bl->len + len > bl->cap) {
		bl->cap = bl->cap ? bl->cap * 2 : 1 << 20;
		while (bl->cap < bl->len + len)
			bl->cap *= 2;
		bl->data = tally_xrealloc(bl->data, bl->cap);
	}
	if (bl->n == bl->cap_items) {
		bl->cap_items = bl->cap_items ? bl->cap_items * 2 : 1024;
		bl->items = tally_xrealloc(bl->items, bl->cap_items * sizeof(*bl->items));
	}
	memcpy(bl->data + bl->len, buf, len);
	bl->items[bl->n++] =
	    (struct tally_rx_backlog_item){ bl->len, len, kind, truncated, sender };
	bl->len += len;
	return true;
}

void
tally_rx_backlog_replay(struct tally_rx_backlog *bl, struct tally_rx_ctx *ctx,
                        struct tally_origin *origin)
{
	for (size_t i = 0; i < bl->n; i++) {
		const struct tally_rx_backlog_item *it = &bl->items[i];

		tally_rx_set_origin(ctx, origin ? tally_origin_tag(origin, it->sender, ctx->now_s)
		                                : NULL);
		tally_rx_process(ctx, it->kind, bl->data + it->off, it->len, it->truncated);
	}
	tally_rx_set_origin(ctx, NULL);
	bl->n = 0;
	bl->len = 0;
	/* A burst should not pin its memory: give back a backlog that grew past 8 MiB. */
	if (bl->cap > (8u << 20)) {
		tally_rx_backlog_fini(bl);
	}
}

void
tally_rx_backlog_fini(struct tally_rx_backlog *bl)
{
	free(bl->data);
	free(bl->items);
	bl->data = NULL;
	bl->items = NULL;
	bl->len = bl->cap = bl->n = bl->cap_items = 0;
}
