/*
 * test_heap_trim.c: daemon/heap_trim.h. A trim runs only after a note and
 * at most once per HEAP_TRIM_INTERVAL_MS; and it gives the kernel back the
 * pages of a burst of freed allocations that glibc alone keeps resident
 * (freed holes below long-lived allocations: what finished DTLS handshakes
 * leave behind), measured as this process's RSS. The RSS part is skipped
 * under AddressSanitizer, whose allocator is not glibc's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "daemon/heap_trim.h"

static void test_rate(void **state)
{
	(void)state;
	uint64_t n0 = heap_trim_count();

	assert_false(heap_trim_tick(1000)); /* nothing noted */
	heap_trim_note();
	assert_true(heap_trim_tick(1000));
	assert_int_equal(heap_trim_count(), n0 + 1);
	assert_false(heap_trim_tick(1001)); /* the note was used */
	heap_trim_note();
	assert_false(heap_trim_tick(1000 + HEAP_TRIM_INTERVAL_MS - 1)); /* too soon */
	assert_true(heap_trim_tick(1000 + HEAP_TRIM_INTERVAL_MS));	 /* still noted */
	assert_int_equal(heap_trim_count(), n0 + 2);
	assert_false(heap_trim_tick(1000 + 5 * HEAP_TRIM_INTERVAL_MS));
}

#if !defined(__SANITIZE_ADDRESS__)
static long rss_kb(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld %ld", &pages, &res), 2);
	fclose(f);
	return res * 4;
}
#endif

static void test_gives_pages_back(void **state)
{
	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip();
#else
	enum { N = 2000, BIG = 24 * 1024 };
	static char *big[N], *small[N];

	/* a burst: big transient blocks, each followed by a small long-lived
	 * one, so that freeing the big ones leaves holes, not a free top */
	for (int i = 0; i < N; i++) {
		big[i] = malloc(BIG);
		small[i] = malloc(64);
		assert_non_null(big[i]);
		assert_non_null(small[i]);
		memset(big[i], 0x5a, BIG);
		memset(small[i], 0x11, 64);
	}
	for (int i = 0; i < N; i++)
		free(big[i]);
	long before = rss_kb();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	heap_trim_note();
	assert_true(heap_trim_tick(1000000));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long after = rss_kb();
	print_message("RSS %ld KB -> %ld KB after the trim, which took %.2f ms\n", before, after,
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	/* most of the 48 MB of holes returned */
	assert_true(before - after > (long)N * BIG / 1024 / 2);
	for (int i = 0; i < N; i++)
		free(small[i]);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_gives_pages_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
