/*
 * heap_trim.h: handing freed heap pages back to the kernel after bursts of
 * short-lived allocations on the control thread.
 *
 * A DTLS handshake allocates tens of KB (OpenSSL's SSL object, its buffers
 * and transcript) that are freed when it completes (dtls/dtls.h), while the
 * call's long-lived state was allocated around them. glibc returns only the
 * top of a heap to the kernel by itself, so after a burst of handshakes the
 * freed holes stay resident and count in every established call's RSS.
 * malloc_trim releases the whole pages inside those holes (madvise); it
 * walks the free lists of every arena, so it runs at most once per
 * HEAP_TRIM_INTERVAL_MS and only after something noted a burst's end.
 * Its cost grows with the pages it returns (about 10-25 ms for 40 MB of
 * holes on a loaded 2-core VM, printed by test_heap_trim; after a burst of
 * 200 DTLS handshakes it returned about 2.3 MB, bench/results/webrtc/
 * dtls-release); it locks each malloc arena in turn, which the workers'
 * packet path does not need (it allocates nothing).
 * Without glibc it does nothing. Control thread only.
 */
#ifndef RTPRELAY_HEAP_TRIM_H
#define RTPRELAY_HEAP_TRIM_H

#include <stdbool.h>
#include <stdint.h>

#define HEAP_TRIM_INTERVAL_MS 1000u

/* Something large and short-lived was freed (a handshake ended). */
void heap_trim_note(void);
/* From the control loop's tick: trims when noted and the interval has
 * passed since the last trim. Whether it trimmed. */
bool heap_trim_tick(uint64_t now_ms);
/* Trims done (for tests and logs). */
uint64_t heap_trim_count(void);

#endif
