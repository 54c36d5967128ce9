# plots.gp: bench/run's plots, run inside bench/results/ after report.py wrote the .dat
# files (fixed-<relay>.dat, cdf-<relay>.dat, relays.txt).
set terminal pngcairo size 900,560 font "sans,10"
relays = system("cat relays.txt")
cdfcalls = system("cat cdf_calls.txt")
cdfrelays = system("cat cdf_relays.txt")
set grid
set key top left

set output "delivered.png"
set title "Delivered packets/s and loss vs calls (50 pps per stream, both ways)"
set xlabel "calls"
set ylabel "delivered packets/s (median, min-max bars)"
set y2label "loss % (median)"
set y2tics
set ytics nomirror
plot for [r in relays] "fixed-".r.".dat" using 1:2:3:4 with yerrorlines title r." delivered", \
     for [r in relays] "fixed-".r.".dat" using 1:5 axes x1y2 with linespoints dt 2 title r." loss %"
unset y2label
unset y2tics
set ytics mirror

set output "cpu.png"
set title "Relay CPU per forwarded packet vs calls (relay process utime+stime)"
set ylabel "ns per packet (median, min-max bars)"
set yrange [0:*]
plot for [r in relays] "fixed-".r.".dat" using 1:8:9:10 with yerrorlines title r

set output "latency_cdf.png"
set title "One-way latency CDF at ".cdfcalls." calls (first repetition)"
set xlabel "latency (us, log scale)"
set ylabel "fraction of packets"
set logscale x
set yrange [0:1]
set key bottom right
if (strlen(cdfrelays) > 0) plot for [r in cdfrelays] "cdf-".r.".dat" using 1:2 with lines lw 2 title r
