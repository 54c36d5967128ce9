/*
 * dtls_role.c: rtprelay's DTLS role from a=setup (dtls_role.h).
 */
#include "dtls/dtls_role.h"

#include <errno.h>

enum dtls_setup dtls_role_offer_setup(void)
{
	return DTLS_SETUP_ACTPASS;
}

int dtls_role_from_answer(enum dtls_setup answer, bool was_known, bool was_client, bool *client,
			  const char **err)
{
	switch (answer) {
	case DTLS_SETUP_PASSIVE: /* the answerer waits: rtprelay connects */
		*client = true;
		return 0;
	case DTLS_SETUP_ACTIVE: /* the answerer connects: rtprelay waits */
	case DTLS_SETUP_NONE:	/* RFC 4145 4: no a=setup is active */
		*client = false;
		return 0;
	case DTLS_SETUP_ACTPASS:
		/* RFC 5763 5 forbids actpass in an answer; the association
		 * already there keeps its role, a new one has rtprelay wait
		 * (what rtpengine does with it) */
		*client = was_known && was_client;
		return 0;
	case DTLS_SETUP_HOLDCONN:
		*err = "DTLS-SRTP: the answer's a=setup:holdconn takes no DTLS role "
		       "(rtprelay offered actpass: answer active or passive)";
		return -EINVAL;
	}
	*err = "DTLS-SRTP: a=setup out of range";
	return -EINVAL;
}

int dtls_role_answer_offer(enum dtls_setup offer, bool want_passive, bool was_known,
			   bool was_client, enum dtls_setup *ours, const char **err)
{
	switch (offer) {
	case DTLS_SETUP_ACTIVE: /* the offerer connects */
		*ours = DTLS_SETUP_PASSIVE;
		return 0;
	case DTLS_SETUP_PASSIVE: /* the offerer waits */
		*ours = DTLS_SETUP_ACTIVE;
		return 0;
	case DTLS_SETUP_ACTPASS:
	case DTLS_SETUP_NONE: /* RFC 5763 5: the offerer is actpass */
		/* rtprelay's choice: passive when asked, or to keep being the
		 * server of the association there is; active otherwise */
		*ours = want_passive || (was_known && !was_client) ? DTLS_SETUP_PASSIVE
								   : DTLS_SETUP_ACTIVE;
		return 0;
	case DTLS_SETUP_HOLDCONN:
		*err = "DTLS-SRTP: a=setup:holdconn";
		return -EINVAL;
	}
	*err = "DTLS-SRTP: a=setup out of range";
	return -EINVAL;
}
