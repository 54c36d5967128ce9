#!/bin/sh
# busy transcoded calls: loadgen fixed, 100 PCMU<->G722 calls, CPU of the relay
B=$1
NG=$(( 24000 + $$ % 1000 ))
$B/daemon/rtprelayd --foreground --interface=127.0.0.1 --listen-ng=127.0.0.1:$NG --port-min=30000 --port-max=39999 --num-threads=1 --log-level=warning >/dev/null 2>&1 &
P=$!
sleep 1
/work/wt/xidle/build/bench/loadgen --mode fixed --ng 127.0.0.1:$NG --pid $P --relay rtprelay --calls 100 --codec-b g722 --warmup 2 --duration 5 2>&1 | grep JSON
kill $P; wait $P
