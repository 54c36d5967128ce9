/* arena_fixture.h: the cmocka group fixture the SDP and ng request tests share: one arena per
 * test group, created in setup and freed in teardown. Include once per test file. */
#ifndef RTPRELAY_TEST_ARENA_FIXTURE_H
#define RTPRELAY_TEST_ARENA_FIXTURE_H

#include "lib/arena.h"

static struct arena *arena;

static int setup(void **state)
{
	(void)state;
	arena = arena_new(0);
	return arena ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	arena_free(arena);
	return 0;
}

#endif
