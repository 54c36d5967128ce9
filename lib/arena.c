/*
 * arena.c: bump allocator (see arena.h).
 *
 * Memory is a singly linked chain of blocks; allocations are carved from the
 * newest block and never freed individually. Invariants: a->used counts the
 * bytes of every block (headers included), so arena_set_cap bounds what one
 * hostile message can make us hold; every pointer handed out is aligned to
 * ARENA_ALIGN and zeroed.
 */
#include "lib/arena.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN	16
#define ARENA_MIN_BLOCK 4096

struct arena_block {
	struct arena_block *prev;
	size_t size; /* usable bytes in data[] */
	size_t off;  /* next free byte in data[] */
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
	struct arena_block *cur;
	size_t used;	  /* bytes held, block headers included */
	size_t cap;	  /* 0 = unbounded */
	size_t next_size; /* size of the next block (doubles, bounded) */
};

static size_t align_up(size_t n)
{
	return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

/* Add a block with room for at least @need bytes; fails past the cap. */
static int arena_grow(struct arena *a, size_t need)
{
	size_t size = a->next_size;
	struct arena_block *b;

	if (need > SIZE_MAX / 2 - sizeof(*b))
		return -ENOMEM;
	if (size < need)
		size = align_up(need);
	if (a->cap && a->used + sizeof(*b) + size > a->cap) {
		/* Try a block just big enough before giving up. */
		size = align_up(need);
		if (a->used + sizeof(*b) + size > a->cap)
			return -E2BIG;
	}
	b = malloc(sizeof(*b) + size);
	if (!b)
		return -ENOMEM;
	b->prev = a->cur;
	b->size = size;
	b->off = 0;
	a->cur = b;
	a->used += sizeof(*b) + size;
	if (a->next_size < 1024 * 1024)
		a->next_size *= 2;
	return 0;
}

struct arena *arena_new(size_t hint)
{
	struct arena *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->next_size = hint > ARENA_MIN_BLOCK ? align_up(hint) : ARENA_MIN_BLOCK;
	if (arena_grow(a, a->next_size) < 0) {
		free(a);
		return NULL;
	}
	/* The first block had the caller's size; later ones start from the minimum
	 * again so a large hint does not make every further block huge. */
	a->next_size = ARENA_MIN_BLOCK;
	return a;
}

void arena_free(struct arena *a)
{
	struct arena_block *b, *prev;

	if (!a)
		return;
	for (b = a->cur; b; b = prev) {
		prev = b->prev;
		free(b);
	}
	free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->cur;
	size_t sz;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2)
		return NULL;
	sz = align_up(n);
	if (!b || b->size - b->off < sz) {
		if (arena_grow(a, sz) < 0)
			return NULL;
		b = a->cur;
	}
	p = b->data + b->off;
	b->off += sz;
	memset(p, 0, sz);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void arena_set_cap(struct arena *a, size_t cap)
{
	a->cap = cap;
}

size_t arena_used(const struct arena *a)
{
	return a->used;
}
