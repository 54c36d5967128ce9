/*
 * media_tos.c: the "TOS" key (see media_tos.h). rtpengine's meaning: a value
 * 0..255 applies to every RTP stream of the call in all directions; a
 * negative value leaves the TOS as it was; no key (or 256 and above) goes
 * back to the default, the TOS every media socket is bound with
 * (IFACE_MEDIA_TOS, EF, as rtpengine's default).
 */
#include "daemon/media_tos.h"

#include "daemon/interfaces.h"
#include "dataplane/dataplane.h"

static bool set_stream(struct call_stream *s, int tos)
{
	return !s->ep || dp_endpoint_set_tos(s->ep, tos) == 0;
}

const char *media_tos_apply(struct call *c, const struct ng_request *req)
{
	bool ok = true;
	int tos;

	if (req->tos == NG_TOS_KEEP && !c->tos_set)
		return NULL;
	if (req->tos == NG_TOS_DEFAULT) {
		/* sockets bound by this request start at the default: nothing
		 * to do for a call that never had a TOS of its own */
		if (!c->tos_set)
			return NULL;
		tos = IFACE_MEDIA_TOS;
	} else {
		tos = req->tos == NG_TOS_KEEP ? c->tos : req->tos;
	}
	for (unsigned p = 0; p < c->n_parties; p++) {
		struct call_party *x = c->parties[p];

		for (unsigned i = 0; x && i < x->n_media; i++) {
			ok &= set_stream(&x->media[i].rtp, tos);
			ok &= set_stream(&x->media[i].rtcp, tos);
		}
	}
	c->tos = (uint8_t)tos;
	c->tos_set = req->tos != NG_TOS_DEFAULT;
	return ok ? NULL : "TOS could not be set on every media socket";
}
