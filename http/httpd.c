/*
 * httpd.c: the HTTP listener over libmicrohttpd (see httpd.h).
 *
 * Documents: each published version is one struct version with a reference
 * count; the table entry points at the current one. A request takes a
 * reference under the mutex and hands the version to a callback response
 * (MHD copies from it as the socket drains); the response's free callback
 * drops the reference. The mutex is held only to swap or to take a
 * reference, never while copying or sending.
 */
#include "http/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

struct version {
	atomic_uint refs;
	char *body;
	size_t len;
	uint64_t at_ms; /* CLOCK_MONOTONIC when published */
};

struct doc {
	char path[HTTPD_PATH_MAX + 1];
	const char *ctype;
	const char *static_body; /* static: served as is */
	size_t static_len;
	struct version *cur; /* published: the current version, NULL = none yet */
	_Atomic uint64_t last_req_ms; /* CLOCK_MONOTONIC of its last request, 0 = never */
	/* on demand (httpd_set_fresh): a request for a version older than
	 * fresh_ms is suspended until the next publish; the waiters, guarded by
	 * the lock */
	unsigned fresh_ms;
	struct MHD_Connection *waiting[HTTPD_MAX_CONNS];
	unsigned n_waiting;
};

struct httpd {
	struct httpd_config cfg;
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock; /* guards docs[].cur and docs[].waiting */
	int wake_fd;	      /* eventfd: a suspended request wants a fresh document */
	struct doc docs[HTTPD_MAX_DOCS];
	unsigned n_docs;
	_Atomic uint64_t requests, unauthorized, not_found;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool httpd_doc_wanted(const struct httpd *h, int id, uint64_t now_ms, uint64_t within_ms)
{
	uint64_t t;

	if (id < 0 || (unsigned)id >= h->n_docs)
		return false;
	t = atomic_load_explicit(&((struct httpd *)h)->docs[id].last_req_ms, memory_order_relaxed);
	return t && now_ms < t + within_ms;
}

static void version_put(struct version *v)
{
	if (v && atomic_fetch_sub(&v->refs, 1) == 1) {
		free(v->body);
		free(v);
	}
}

struct httpd *httpd_new(const struct httpd_config *c)
{
	struct httpd *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->cfg = *c;
	h->cfg.token[HTTPD_TOKEN_MAX] = '\0';
	h->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->wake_fd < 0) {
		free(h);
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	return h;
}

static int add(struct httpd *h, const char *path, const char *ctype)
{
	struct doc *d;

	if (h->n_docs == HTTPD_MAX_DOCS || strlen(path) > HTTPD_PATH_MAX)
		return -1;
	d = &h->docs[h->n_docs];
	strcpy(d->path, path);
	d->ctype = ctype;
	return (int)h->n_docs++;
}

int httpd_add_doc(struct httpd *h, const char *path, const char *content_type)
{
	return add(h, path, content_type);
}

int httpd_add_static(struct httpd *h, const char *path, const char *content_type,
		     const char *body, size_t len)
{
	int id = add(h, path, content_type);

	if (id >= 0) {
		h->docs[id].static_body = body;
		h->docs[id].static_len = len;
	}
	return id;
}

void httpd_set_fresh(struct httpd *h, int id, unsigned max_age_ms)
{
	if (id >= 0 && (unsigned)id < h->n_docs)
		h->docs[id].fresh_ms = max_age_ms;
}

int httpd_wake_fd(const struct httpd *h)
{
	return h->wake_fd;
}

bool httpd_doc_awaited(struct httpd *h, int id)
{
	bool w;

	if (id < 0 || (unsigned)id >= h->n_docs)
		return false;
	pthread_mutex_lock(&h->lock);
	w = h->docs[id].n_waiting > 0;
	pthread_mutex_unlock(&h->lock);
	return w;
}

/* Resume every request waiting for document @d (suspended under the lock
 * before they were listed, so each is suspended by now). */
static void resume_waiters(struct httpd *h, struct doc *d)
{
	struct MHD_Connection *w[HTTPD_MAX_CONNS];
	unsigned n;

	pthread_mutex_lock(&h->lock);
	n = d->n_waiting;
	memcpy(w, d->waiting, n * sizeof(w[0]));
	d->n_waiting = 0;
	pthread_mutex_unlock(&h->lock);
	for (unsigned i = 0; i < n; i++)
		MHD_resume_connection(w[i]);
}

void httpd_publish(struct httpd *h, int id, char *body, size_t len)
{
	struct version *v, *old;

	if (id < 0 || (unsigned)id >= h->n_docs) {
		free(body);
		return;
	}
	v = malloc(sizeof(*v));
	if (!v) {
		free(body); /* the previous version stays current */
		return;
	}
	atomic_init(&v->refs, 1);
	v->body = body;
	v->len = len;
	v->at_ms = mono_ms();
	pthread_mutex_lock(&h->lock);
	old = h->docs[id].cur;
	h->docs[id].cur = v;
	pthread_mutex_unlock(&h->lock);
	version_put(old);
	resume_waiters(h, &h->docs[id]);
}

void httpd_get_stats(const struct httpd *h, struct httpd_stats *out)
{
	struct httpd *m = (struct httpd *)h;

	out->requests = atomic_load_explicit(&m->requests, memory_order_relaxed);
	out->unauthorized = atomic_load_explicit(&m->unauthorized, memory_order_relaxed);
	out->not_found = atomic_load_explicit(&m->not_found, memory_order_relaxed);
}

static ssize_t read_version(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct version *v = cls;
	size_t n;

	if (pos >= v->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = v->len - (size_t)pos < max ? v->len - (size_t)pos : max;
	memcpy(buf, v->body + pos, n);
	return (ssize_t)n;
}

static void free_version(void *cls)
{
	version_put(cls);
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status,
			      struct MHD_Response *r, const char *ctype)
{
	enum MHD_Result rc;

	if (!r)
		return MHD_NO; /* out of memory: MHD closes the connection */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	/* the status page runs only its own inline script and talks only to us */
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; script-src 'unsafe-inline'; "
				"style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"rtprelay\"");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);

	return answer(conn, status, r, "text/plain; charset=utf-8");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct httpd *h = cls;
	const char *auth, *qtoken;
	unsigned status;
	struct version *v = NULL;
	struct doc *d = NULL;

	(void)version;
	(void)upload_data;
	/* a GET carries no body: whatever arrives is discarded */
	*upload_data_size = 0;
	if (!*con_cls) /* not again when a held request resumes */
		atomic_fetch_add_explicit(&h->requests, 1, memory_order_relaxed);
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	qtoken = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
	status = httpd_check(method, url, auth, qtoken, h->cfg.token);
	if (status == 401) {
		atomic_fetch_add_explicit(&h->unauthorized, 1, memory_order_relaxed);
		return answer_text(conn, status, "token required\n");
	}
	if (status == 405) {
		atomic_fetch_add_explicit(&h->not_found, 1, memory_order_relaxed);
		return answer_text(conn, status, "GET or HEAD only\n");
	}
	if (status == 0)
		for (unsigned i = 0; i < h->n_docs; i++)
			if (!strcmp(h->docs[i].path, url))
				d = &h->docs[i];
	if (!d) {
		atomic_fetch_add_explicit(&h->not_found, 1, memory_order_relaxed);
		return answer_text(conn, status && status != 404 ? status : 404, "not found\n");
	}
	atomic_store_explicit(&d->last_req_ms, mono_ms(), memory_order_relaxed);
	if (d->static_body)
		return answer(conn, 200,
			      MHD_create_response_from_buffer(d->static_len,
							      (void *)d->static_body,
							      MHD_RESPMEM_PERSISTENT),
			      d->ctype);
	pthread_mutex_lock(&h->lock);
	v = d->cur;
	/* too old for an on-demand document: wait for the publisher (once per
	 * request; *con_cls marks the second call, after the resume) */
	if (d->fresh_ms && !*con_cls && (!v || mono_ms() > v->at_ms + d->fresh_ms) &&
	    d->n_waiting < HTTPD_MAX_CONNS) {
		uint64_t one = 1;

		*con_cls = d;
		d->waiting[d->n_waiting++] = conn;
		MHD_suspend_connection(conn);
		pthread_mutex_unlock(&h->lock);
		if (write(h->wake_fd, &one, sizeof(one)) < 0) {
			/* the counter is already non-zero: the publisher is woken */
		}
		return MHD_YES;
	}
	if (v)
		atomic_fetch_add(&v->refs, 1);
	pthread_mutex_unlock(&h->lock);
	if (!v)
		return answer_text(conn, 503, "not ready yet\n");
	struct MHD_Response *r =
		MHD_create_response_from_callback(v->len, 32768, read_version, v, free_version);
	if (!r) {
		version_put(v);
		return MHD_NO;
	}
	return answer(conn, 200, r, d->ctype);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("http: %s", line);
}

int httpd_start(struct httpd *h)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
			 MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;

	if (h->cfg.addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
		(const struct sockaddr *)&h->cfg.addr, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)HTTPD_MAX_CONNS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)HTTPD_MAX_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_CONN_MEM,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		/* an inherited socket replaces the bind (the option list ends
		 * here without one) */
		h->cfg.has_listen_fd ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_END,
		(MHD_socket)h->cfg.listen_fd, MHD_OPTION_END);
	if (!h->mhd)
		return errno ? -errno : -EINVAL;
	return 0;
}

unsigned httpd_port(const struct httpd *h)
{
	const union MHD_DaemonInfo *i;

	if (!h->mhd)
		return 0;
	i = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	return i ? i->port : 0;
}

int httpd_listen_fd(const struct httpd *h)
{
	const union MHD_DaemonInfo *i;

	if (!h || !h->mhd)
		return -1;
	i = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_LISTEN_FD);
	return i ? (int)i->listen_fd : -1;
}

void httpd_free(struct httpd *h)
{
	if (!h)
		return;
	/* no suspended request may outlive the daemon (MHD's rule) */
	for (unsigned i = 0; i < h->n_docs; i++)
		resume_waiters(h, &h->docs[i]);
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	close(h->wake_fd);
	for (unsigned i = 0; i < h->n_docs; i++)
		version_put(h->docs[i].cur);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
