/*
 * fuzz_dtls_established.c: libFuzzer target for what a DTLS server endpoint
 * (dtls/dtls.h) does with datagrams after its handshake, when its OpenSSL
 * object is freed and it reads the records' framing itself (final-flight
 * resends, a restart by a new ClientHello).
 *
 * Each input is up to 16 datagrams, each a 2-byte big-endian length then
 * that many bytes (each copied to a buffer of its exact size, so ASan sees
 * an overread). Every input starts from a freshly completed handshake.
 *
 * Properties checked (abort() on violation):
 *  1. no datagram crashes it or reads past its end;
 *  2. every datagram the endpoint then sends fits DTLS_MTU and is a whole
 *     record sequence (dtls_records_ok);
 *  3. it resends its final flight at most DTLS_FINAL_REPLAYS times;
 *  4. whatever it was sent, it is connected with its keys, or (after a new
 *     ClientHello) handshaking again or failed, never connected without
 *     keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtls/dtls.h"

static struct dtls_cert *cert_c, *cert_s;
static struct dtls_fingerprint fp_c, fp_s;

static void shuttle(struct dtls_conn *x, struct dtls_conn *y)
{
	uint8_t buf[DTLS_MTU];
	int n;

	for (int round = 0; round < 64; round++) {
		int moved = 0;
		while ((n = dtls_conn_output(x, buf, sizeof(buf))) > 0) {
			dtls_conn_input(y, buf, (size_t)n, 0);
			moved = 1;
		}
		while ((n = dtls_conn_output(y, buf, sizeof(buf))) > 0) {
			dtls_conn_input(x, buf, (size_t)n, 0);
			moved = 1;
		}
		if (!moved)
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[DTLS_MTU];
	struct dtls_srtp_keys k;
	unsigned sent = 0;

	if (!cert_c) {
		cert_c = dtls_cert_new();
		cert_s = dtls_cert_new();
		if (!cert_c || !cert_s || dtls_cert_fingerprint(cert_c, DTLS_SHA256, &fp_c) ||
		    dtls_cert_fingerprint(cert_s, DTLS_SHA256, &fp_s))
			abort();
	}
	struct dtls_conn *client = dtls_conn_new(cert_c, true, &fp_s, NULL, 0);
	struct dtls_conn *server = dtls_conn_new(cert_s, false, &fp_c, NULL, 0);
	if (!client || !server)
		abort();
	shuttle(client, server);
	if (dtls_conn_state(server) != DTLS_CONNECTED || dtls_conn_keys(server, &k))
		abort();
	dtls_conn_free(client);

	size_t off = 0;
	for (int i = 0; i < 16 && off + 2 <= size; i++) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		uint8_t *dg = malloc(len ? len : 1);
		if (!dg)
			abort();
		memcpy(dg, data + off, len);
		off += len;
		enum dtls_state was = dtls_conn_state(server);
		dtls_conn_input(server, dg, len, 1000);
		free(dg);
		int n;
		while ((n = dtls_conn_output(server, out, sizeof(out))) > 0) {
			if ((size_t)n > DTLS_MTU || !dtls_records_ok(out, (size_t)n))
				abort();
			if (was == DTLS_CONNECTED && dtls_conn_state(server) == DTLS_CONNECTED)
				sent++;
		}
	}
	if (sent > DTLS_FINAL_REPLAYS)
		abort();
	enum dtls_state st = dtls_conn_state(server);
	if (st == DTLS_CONNECTED && dtls_conn_keys(server, &k))
		abort();
	if (st != DTLS_CONNECTED && st != DTLS_HANDSHAKING && st != DTLS_FAILED)
		abort();
	dtls_conn_free(server);
	return 0;
}
