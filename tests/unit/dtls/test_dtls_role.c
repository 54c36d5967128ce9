/*
 * test_dtls_role.c: rtprelay's DTLS role from a=setup (dtls/dtls_role.h),
 * the table rtpengine 10.5 was measured to follow (docs/webrtc.md, "DTLS
 * roles"): its own offers say actpass; the answer's active makes it the
 * server, passive the client, actpass keeps an association's role (else
 * server), none is active; holdconn is refused with a reason. Answering a
 * party's offer: active/passive decide, actpass/none give passive only when
 * asked or when rtprelay already is the association's server.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dtls/dtls_role.h"

static void test_offer_is_actpass(void **state)
{
	(void)state;
	assert_int_equal(dtls_role_offer_setup(), DTLS_SETUP_ACTPASS);
}

static void test_answer_decides(void **state)
{
	(void)state;
	const char *err = NULL;
	bool client = true;

	/* a new association: passive -> client, active / none / actpass -> server */
	assert_int_equal(dtls_role_from_answer(DTLS_SETUP_PASSIVE, false, false, &client, &err), 0);
	assert_true(client);
	assert_int_equal(dtls_role_from_answer(DTLS_SETUP_ACTIVE, false, false, &client, &err), 0);
	assert_false(client);
	client = true;
	assert_int_equal(dtls_role_from_answer(DTLS_SETUP_NONE, false, false, &client, &err), 0);
	assert_false(client);
	client = true;
	assert_int_equal(dtls_role_from_answer(DTLS_SETUP_ACTPASS, false, false, &client, &err),
			 0);
	assert_false(client);
	/* an association there: active/passive still decide (a restart when
	 * the role changes is the caller's), actpass keeps the role */
	assert_int_equal(dtls_role_from_answer(DTLS_SETUP_ACTIVE, true, true, &client, &err), 0);
	assert_false(client);
	assert_int_equal(dtls_role_from_answer(DTLS_SETUP_PASSIVE, true, false, &client, &err), 0);
	assert_true(client);
	assert_int_equal(dtls_role_from_answer(DTLS_SETUP_ACTPASS, true, true, &client, &err), 0);
	assert_true(client);
	assert_int_equal(dtls_role_from_answer(DTLS_SETUP_ACTPASS, true, false, &client, &err), 0);
	assert_false(client);
	assert_null(err);
}

static void test_answer_refused(void **state)
{
	(void)state;
	const char *err = NULL;
	bool client = false;

	assert_int_equal(dtls_role_from_answer(DTLS_SETUP_HOLDCONN, false, false, &client, &err),
			 -EINVAL);
	assert_non_null(err);
	assert_non_null(strstr(err, "holdconn"));
	err = NULL;
	assert_int_equal(
		dtls_role_from_answer((enum dtls_setup)99, false, false, &client, &err), -EINVAL);
	assert_non_null(err);
}

static void test_answering_an_offer(void **state)
{
	(void)state;
	const char *err = NULL;
	enum dtls_setup ours = DTLS_SETUP_NONE;

	/* the offerer's active/passive decide, whatever was asked */
	assert_int_equal(dtls_role_answer_offer(DTLS_SETUP_ACTIVE, false, false, false, &ours, &err),
			 0);
	assert_int_equal(ours, DTLS_SETUP_PASSIVE);
	assert_int_equal(dtls_role_answer_offer(DTLS_SETUP_PASSIVE, true, false, false, &ours, &err),
			 0);
	assert_int_equal(ours, DTLS_SETUP_ACTIVE);
	/* actpass / none: active by default, passive when asked */
	assert_int_equal(dtls_role_answer_offer(DTLS_SETUP_ACTPASS, false, false, false, &ours, &err),
			 0);
	assert_int_equal(ours, DTLS_SETUP_ACTIVE);
	assert_int_equal(dtls_role_answer_offer(DTLS_SETUP_NONE, false, false, false, &ours, &err),
			 0);
	assert_int_equal(ours, DTLS_SETUP_ACTIVE);
	assert_int_equal(dtls_role_answer_offer(DTLS_SETUP_ACTPASS, true, false, false, &ours, &err),
			 0);
	assert_int_equal(ours, DTLS_SETUP_PASSIVE);
	/* a re-offer: the server of an association stays passive, its client
	 * stays active unless passive is asked */
	assert_int_equal(dtls_role_answer_offer(DTLS_SETUP_ACTPASS, false, true, false, &ours, &err),
			 0);
	assert_int_equal(ours, DTLS_SETUP_PASSIVE);
	assert_int_equal(dtls_role_answer_offer(DTLS_SETUP_ACTPASS, false, true, true, &ours, &err),
			 0);
	assert_int_equal(ours, DTLS_SETUP_ACTIVE);
	assert_int_equal(dtls_role_answer_offer(DTLS_SETUP_ACTPASS, true, true, true, &ours, &err),
			 0);
	assert_int_equal(ours, DTLS_SETUP_PASSIVE);
	assert_null(err);
	assert_int_equal(
		dtls_role_answer_offer(DTLS_SETUP_HOLDCONN, false, false, false, &ours, &err),
		-EINVAL);
	assert_non_null(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offer_is_actpass),
		cmocka_unit_test(test_answer_decides),
		cmocka_unit_test(test_answer_refused),
		cmocka_unit_test(test_answering_an_offer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
