/*
 * heap_trim.c: malloc_trim after bursts of freed handshake state
 * (heap_trim.h).
 */
#include "daemon/heap_trim.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

static struct {
	bool noted;
	uint64_t last_ms;
	uint64_t count;
} g;

void heap_trim_note(void)
{
	g.noted = true;
}

bool heap_trim_tick(uint64_t now_ms)
{
	if (!g.noted || (g.count && now_ms - g.last_ms < HEAP_TRIM_INTERVAL_MS))
		return false;
	g.noted = false;
	g.last_ms = now_ms;
	g.count++;
#ifdef __GLIBC__
	(void)malloc_trim(0);
#endif
	return true;
}

uint64_t heap_trim_count(void)
{
	return g.count;
}
