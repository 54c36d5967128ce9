/*
 * httpd.h: the HTTP listener (`listen-http`): serves documents that another
 * thread publishes, and static ones compiled into the binary, over
 * libmicrohttpd in one thread of its own.
 *
 * Threads: httpd_start starts the listener's thread; httpd_publish is called
 * by the control thread (it renders the documents, docs/architecture.md,
 * Operations). The two share one mutex that guards only which version of a
 * document is current: a request takes a reference to the current version
 * and serves it without holding the mutex; a version is freed when its last
 * reference goes. The packet path never sees any of it.
 *
 * On-demand documents (httpd_set_fresh) are rendered only while read: a
 * request for a stale one is suspended, the publisher is woken through an
 * eventfd (httpd_wake_fd) and the request resumes with the fresh version.
 *
 * Hostile clients: bounded connections in total and per address, an
 * inactivity timeout, a per-connection memory cap (a request whose headers do
 * not fit is answered 431 and closed), GET and HEAD only, no request body.
 * With a token, every request must carry it (`Authorization: Bearer TOKEN`,
 * or `?token=TOKEN` for a browser) or gets 401.
 */
#ifndef RTPRELAY_HTTPD_H
#define RTPRELAY_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HTTPD_MAX_DOCS	    8
#define HTTPD_TOKEN_MAX	    128
#define HTTPD_MAX_CONNS	    64	  /* connections at once */
#define HTTPD_MAX_PER_IP    16	  /* connections at once from one address */
#define HTTPD_TIMEOUT_S	    10	  /* idle connection closed after this long */
#define HTTPD_CONN_MEM	    16384 /* bytes per connection for request headers */
#define HTTPD_PATH_MAX	    64

struct httpd;

struct httpd_config {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char token[HTTPD_TOKEN_MAX + 1]; /* "" = none required */
	/* an inherited listening socket (takeover, daemon/takeover.h) used
	 * instead of binding addr */
	bool has_listen_fd;
	int listen_fd;
};

/* Counters of the listener (any thread). */
struct httpd_stats {
	uint64_t requests;    /* answered, any status */
	uint64_t unauthorized; /* 401 */
	uint64_t not_found;    /* 404 and 405 */
};

/* A new listener (not yet started); NULL on ENOMEM. */
struct httpd *httpd_new(const struct httpd_config *c);
/* Serve @path from documents published with httpd_publish(@id) (before
 * httpd_start). The id returned, or -1 when there are HTTPD_MAX_DOCS. */
int httpd_add_doc(struct httpd *h, const char *path, const char *content_type);
/* Serve @path with @body (static storage, not copied). -1 as above. */
int httpd_add_static(struct httpd *h, const char *path, const char *content_type,
		     const char *body, size_t len);
/* Bind and start the thread. 0 or -errno (the bind's, -EINVAL otherwise). */
int httpd_start(struct httpd *h) __attribute__((warn_unused_result));
/* Stop the thread (when started) and free everything. */
void httpd_free(struct httpd *h);
/* Make @body (malloc'd, @len bytes; ownership passes) the current version of
 * document @id. Until the first publish the document is answered 503. */
void httpd_publish(struct httpd *h, int id, char *body, size_t len);
void httpd_get_stats(const struct httpd *h, struct httpd_stats *out);
/* Make document @id on demand: a request that would get a version older
 * than @max_age_ms is held (suspended, not counted against the idle timeout)
 * until the next httpd_publish of it, and the wake fd becomes readable. */
void httpd_set_fresh(struct httpd *h, int id, unsigned max_age_ms);
/* An eventfd (non-blocking) the publisher watches: readable when a request
 * waits for a fresh on-demand document; the publisher reads it to reset it. */
int httpd_wake_fd(const struct httpd *h);
/* Does a request wait for document @id now? */
bool httpd_doc_awaited(struct httpd *h, int id);
/* Was document @id requested within the last @within_ms (CLOCK_MONOTONIC
 * @now_ms)? Lets the publisher skip rendering what nobody reads. */
bool httpd_doc_wanted(const struct httpd *h, int id, uint64_t now_ms, uint64_t within_ms);
/* The port bound (after httpd_start), for logs. */
unsigned httpd_port(const struct httpd *h);
/* The listening socket (for a takeover), -1 before httpd_start. */
int httpd_listen_fd(const struct httpd *h);

/* What a request gets before any document is looked at (exposed for the
 * unit tests and the fuzzer): 0 = go on, else the HTTP status to answer.
 * @method and @url as received, @auth the Authorization header or NULL,
 * @qtoken the `token` query argument or NULL, @token the configured one
 * ("" = none). The token is compared in constant time. */
unsigned httpd_check(const char *method, const char *url, const char *auth, const char *qtoken,
		     const char *token);

#endif
