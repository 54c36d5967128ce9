/*
 * fuzz_stun.c: libFuzzer target for the STUN codec (stun/stun.h).
 *
 * Properties checked (abort() on violation):
 *  1. stun_parse never reads past the input; success only for a message whose
 *     header length matches the input, every offset it reports inside it;
 *  2. the integrity and fingerprint checks never crash on a parsed message;
 *  3. an answer written the way the ICE responder writes it (XOR address of
 *     both families, MESSAGE-INTEGRITY, FINGERPRINT, the request's USERNAME)
 *     parses back with both checks passing and the same address.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stun/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[] = "fuzz-password-0123456789";
	struct stun_msg m, back;
	uint8_t out[STUN_MAX_MESSAGE];
	struct stun_writer w;

	if (stun_parse(data, size, &m) != 0)
		return 0;
	if (m.len != size || m.integrity_at >= size || m.fingerprint_at >= size ||
	    (m.username_len && (m.username < data || m.username + m.username_len > data + size)))
		abort();
	(void)stun_check_integrity(data, &m, key, sizeof(key) - 1);
	(void)stun_check_fingerprint(data, &m);

	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(5004) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(40000) };
	memcpy(&a6.sin6_addr, m.tid, 12);
	memcpy(&a4.sin_addr, m.tid, 4);
	bool v6 = m.tid[11] & 1;
	stun_w_init(&w, out, sizeof(out), STUN_BINDING | STUN_CLASS_SUCCESS, m.tid);
	if (m.username_len)
		stun_w_attr(&w, STUN_A_USERNAME, m.username, m.username_len);
	stun_w_xor_addr(&w, v6 ? (const struct sockaddr *)&a6 : (const struct sockaddr *)&a4);
	stun_w_integrity(&w, key, sizeof(key) - 1);
	stun_w_fingerprint(&w);
	int n = stun_w_finish(&w);
	if (n < 0)
		abort(); /* a parsed username always fits */
	if (stun_parse(out, (size_t)n, &back) != 0 || !back.has_xor_addr ||
	    !stun_check_integrity(out, &back, key, sizeof(key) - 1) ||
	    !stun_check_fingerprint(out, &back))
		abort();
	if (v6 ? memcmp(&((struct sockaddr_in6 *)&back.xor_addr)->sin6_addr, &a6.sin6_addr, 16)
	       : memcmp(&((struct sockaddr_in *)&back.xor_addr)->sin_addr, &a4.sin_addr, 4))
		abort();
	return 0;
}
