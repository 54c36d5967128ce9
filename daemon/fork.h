/*
 * fork.h: call branches (SIP forking) and selecting parties by label, with
 * rtpengine's meaning (docs/ng_control_protocol.md: via-branch, label,
 * to-label, delete).
 *
 * A proxy that forks an INVITE sends one offer per branch, each with the
 * branch's via-branch: every branch gets its own callee party, with its own
 * local ports (the SDP each callee receives names them). Answers name their
 * branch by via-branch (or, without one, answer the caller's current callee).
 * Each callee party's peer is the caller; the caller's peer is the callee that
 * signalled last, the one its media goes to: the last answer wins. An answer
 * from a final reply ("SIP code" >= 200) ends the other branches (their ports
 * are freed). Callees answering one offer with several to-tags but no
 * via-branch all received the same ports: their tags name one party.
 *
 * Control thread only.
 */
#ifndef RTPRELAY_FORK_H
#define RTPRELAY_FORK_H

#include <stdint.h>

struct call;
struct call_party;
struct calls;

/* The party that has @via_branch, other than @skip; NULL if none. */
struct call_party *fork_branch_find(struct call *c, const char *via_branch,
				    const struct call_party *skip);

/* Offer from @caller without to-tag, for branch @via_branch (non-empty): the
 * callee party of that branch (a re-sent or re-offered branch, or the
 * caller's untagged callee that no branch has taken yet); NULL when the
 * branch is new and needs a party of its own. */
struct call_party *fork_offer_callee(struct call *c, struct call_party *caller,
				     const char *via_branch);

/* Answer to @caller with a to-tag no party has: the party of @via_branch if
 * it is one of @caller's branches, else @caller's current callee. */
struct call_party *fork_answer_callee(struct call *c, struct call_party *caller,
				      const char *via_branch);

/* How many parties have @caller as their peer (its branches). */
unsigned fork_branches(const struct call *c, const struct call_party *caller);

/* @winner answered @caller with a final reply: every other branch of
 * @caller is removed (sockets released). Returns how many went. */
unsigned fork_release_losers(struct calls *cs, struct call *c, struct call_party *caller,
			     struct call_party *winner, uint64_t now_ms);

#endif
