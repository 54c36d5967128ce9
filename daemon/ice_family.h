/*
 * ice_family.h: ICE host candidates of both address families
 * (docs/architecture.md, ICE).
 *
 * A media's sockets live on one interface, of one family. When rtprelay
 * gives a party ICE lines and the media's logical interface (its name in
 * `interface = NAME/ADDR`) also has an address of the other family, the
 * media gets a second socket pair there, and the party a host candidate
 * for each family (the media's own family first). Both pairs answer the
 * party's checks with the same credentials and forward what the party sends
 * to the same place. Media towards the party leaves from the pair the party
 * nominated last: the two sockets are each other's ice_twin in the data
 * plane, which picks per packet (dataplane/dp_endpoint.h dp_ice_out). A
 * DTLS handshake's datagrams follow the same choice.
 *
 * The second pair is opened lazily (docs/architecture.md, ICE): a party
 * whose candidates so far name only the media's own family gets none, and
 * one whose candidates name the other family (a re-offer's new or trickled
 * candidates included) gets it in the next SDP rtprelay sends it. A party
 * rtprelay has not heard from, or whose candidates are all still to come or
 * hidden behind names (mDNS), may use either family: it gets both. The
 * pair is released when the party rules its family out: an
 * a=end-of-candidates after candidates of the media's family only, or an
 * ICE restart whose candidates name only that family; with ICE, or the
 * media, gone; and when the call goes. Control thread only.
 */
#ifndef RTPRELAY_ICE_FAMILY_H
#define RTPRELAY_ICE_FAMILY_H

#include <stdbool.h>
#include <stdint.h>

#include "control/ngdict.h"
#include "daemon/call.h"
#include "daemon/interfaces.h"
#include "dataplane/dataplane.h"
#include "srtp/sr_stream.h"

struct ice_family {
	struct iface *ifc; /* the other family's interface of the same name */
	uint16_t pair;	   /* its RTP port, RTCP = +1 */
	struct call_stream rtp, rtcp;
	unsigned restarts; /* the party's ICE restarts (media_ice) when it was opened */
};

/* Bind @rm's second socket pair on the other family's interface of the
 * same name, if there is one and @rm has none yet (@rm->ice is made).
 * Best effort: without such an interface, or without a free port (logged),
 * the media keeps its one family. */
void ice_family_bind(struct ifaces *ifs, const struct call *c, struct call_media *rm,
		     uint64_t now_ms);
/* Before rtprelay's ICE lines go to @rm's party: open the second pair if
 * the party may use the other family and has none (ice_family_bind),
 * release it if the party ruled the family out (ice_family_settle). */
void ice_family_update(struct ifaces *ifs, const struct call *c, struct call_media *rm,
		       uint64_t now_ms);
/* After @m's party's SDP was read (daemon/ice.h ice_note_sender): release
 * the second pair if the party ruled its family out, or has no ICE. */
void ice_family_settle(struct call_media *m, uint64_t now_ms);
/* Release them (the media goes). */
void ice_family_release(struct call_media *m, uint64_t now_ms);
/* The second pair of @m, NULL if none. */
const struct ice_family *ice_family_of(const struct call_media *m);
/* The socket the control thread sends to @m's party from (a DTLS
 * handshake's datagrams): RTP, or RTCP (@rtcp; the RTP socket when the
 * party multiplexes) of the pair it nominated last. */
struct dp_endpoint *ice_family_out(const struct call_media *m, bool rtcp);
/* The second pair's RTP or RTCP socket, the first pair's ice_twin (NULL if
 * none or ICE is off). */
struct dp_endpoint *ice_family_twin(const struct call_media *m, bool rtcp);
/* The second pair's parameters: @p (the first pair's RTP or RTCP
 * parameters) as they apply there, the first pair its ice_twin. On
 * transcoded media (DP_TRANSCODE) the first pair's socket owns the
 * transcoder; the second's keeps the flag without one, and what it
 * receives goes into its twin's transcoder (dataplane/dp_io.c). Returns the
 * endpoint, NULL if none. */
struct dp_endpoint *ice_family_params(const struct call_media *m, bool rtcp,
				      struct dp_endpoint_params *p);
/* Key the second pair's sockets like the first's (keys agreed after the
 * answer, as a DTLS handshake's): its RTP socket (@rtp), its RTCP socket
 * (@rtcp). */
void ice_family_srtp(const struct call_media *m, const struct sr_keys *k, bool rtp, bool rtcp);
/* query: in @ice (a stream's ICE dictionary) "nominated family" and an
 * "other family" dictionary (address, port, state, checks, bad checks) of
 * @m's second pair, RTP or RTCP (@rtcp). 0 or -ENOMEM. */
int ice_family_query(struct arena *a, struct ng_node *ice, const struct call_media *m, bool rtcp);
#endif
