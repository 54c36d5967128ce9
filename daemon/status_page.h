/*
 * status_page.h: the status page served at `/`: plain HTML with a little
 * script that fetches /status.json (daemon/status.h) every second and
 * redraws the table. Every text from a call (call-ids, tags, codecs) goes
 * in as text, never as markup. A `?token=` in the page's address is passed
 * on to the JSON request.
 */
#ifndef RTPRELAY_STATUS_PAGE_H
#define RTPRELAY_STATUS_PAGE_H

#include <stddef.h>

extern const char status_page_html[];
extern const size_t status_page_len;

#endif
