#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
oom(size_t size)
{
	fprintf(stderr, "tally: out of memory allocating %zu bytes\n", size);
	abort();
}

void *
tally_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		oom(size);
	return p;
}

void *
tally_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *
tally_xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p)
		oom(size);
	return p;
}

void *
tally_xgrow_slow(void *p, size_t *cap, size_t need, size_t elem, size_t min_cap)
{
	size_t n = *cap ? *cap * 2 : min_cap;

	if (n < need)
		n = need;
	*cap = n;
	return tally_xrealloc(p, n * elem);
}

char *
tally_xstrndup(const char *s, size_t len)
{
	char *p = tally_xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
tally_xstrdup(const char *s)
{
	return tally_xstrndup(s, strlen(s));
}
