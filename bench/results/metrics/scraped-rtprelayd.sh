#!/bin/sh
# The branch's rtprelayd with listen-http on, scraped once a second (the way a
# Prometheus would) by a curl loop kept off the relay's CPU and out of SCHED_FIFO.
PORT=9103
( sleep 1; while kill -0 $$ 2>/dev/null; do
    curl -s -o /dev/null --max-time 2 http://127.0.0.1:$PORT/metrics
    curl -s -o /dev/null --max-time 2 http://127.0.0.1:$PORT/status.json
    sleep 1
  done ) </dev/null >/dev/null 2>&1 &
SCRAPER=$!
taskset -p -c 0 $SCRAPER >/dev/null 2>&1; chrt -o -p 0 $SCRAPER >/dev/null 2>&1
exec "${RTPRELAYD:-build-bench/daemon/rtprelayd}" --listen-http=127.0.0.1:$PORT "$@"
