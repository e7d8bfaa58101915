#include "ctx_slab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmem.h"

#define BLOCK_BYTES (64 * 1024)

/*
 * Under AddressSanitizer, free objects and the unbumped rest of a block are poisoned, so a
 * context used after its sweep is still reported as it was with malloc.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN 1
#endif
#ifdef SLAB_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct tally_slab_block {
	struct tally_slab_block *next;
	_Alignas(TALLY_CTX_SLAB_ALIGN) char data[BLOCK_BYTES - 16];
};

static size_t
round_size(size_t size)
{
	return (size + TALLY_CTX_SLAB_ALIGN - 1) & ~(size_t)(TALLY_CTX_SLAB_ALIGN - 1);
}

void
tally_ctx_slab_init(struct tally_ctx_slab *s)
{
	memset(s, 0, sizeof(*s));
	s->used = sizeof(s->blocks->data); /* no block yet: the first alloc adds one */
}

void
tally_ctx_slab_fini(struct tally_ctx_slab *s)
{
	struct tally_slab_block *b, *next;

	for (b = s->blocks; b; b = next) {
		next = b->next;
		UNPOISON(b->data, sizeof(b->data));
		free(b);
	}
	s->blocks = NULL;
}

void *
tally_ctx_slab_alloc(struct tally_ctx_slab *s, size_t size)
{
	size_t n = round_size(size ? size : 1);
	void **head;
	char *p;

	if (n > TALLY_CTX_SLAB_MAX_OBJ)
		return tally_xmalloc(size);
	s->bytes_live += n;
	head = &s->free_list[n / TALLY_CTX_SLAB_ALIGN - 1];
	if (*head) {
		p = *head;
		UNPOISON(p, n);
		memcpy(head, p, sizeof(void *));
		return p;
	}
	if (s->used + n > sizeof(s->blocks->data)) {
		struct tally_slab_block *b = tally_xmalloc(sizeof(*b));

		/* The tail of the old block is too small for n: it stays unused. */
		b->next = s->blocks;
		s->blocks = b;
		s->used = 0;
		s->bytes_blocks += sizeof(*b);
		POISON(b->data, sizeof(b->data));
	}
	p = s->blocks->data + s->used;
	s->used += n;
	UNPOISON(p, n);
	return p;
}

void
tally_ctx_slab_free(struct tally_ctx_slab *s, void *p, size_t size)
{
	size_t n = round_size(size ? size : 1);
	void **head;

	if (!p)
		return;
	if (n > TALLY_CTX_SLAB_MAX_OBJ) {
		free(p);
		return;
	}
	s->bytes_live -= n;
	head = &s->free_list[n / TALLY_CTX_SLAB_ALIGN - 1];
	memcpy(p, head, sizeof(void *));
	*head = p;
	POISON(p, n);
}
