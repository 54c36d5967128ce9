# plots.gp: bench/run's plots, run inside bench/results/ after report.py wrote the .dat
# files (fixed-<relay>.dat, cdf-<relay>.dat, relays.txt, cdf_relays.txt, cdf_calls.txt).
set terminal pngcairo size 900,700 font "sans,10"
relays = system("cat relays.txt")
cdfcalls = system("cat cdf_calls.txt")
cdfrelays = system("cat cdf_relays.txt")
set grid
set key top left

set output "delivered.png"
set multiplot layout 2,1 title "Fixed rate, 50 packets/s per stream both ways (median, min-max bars)"
set ylabel "delivered packets/s"
plot for [r in relays] "fixed-".r.".dat" using 1:2:3:4 with yerrorlines title r, \
     "fixed-".word(relays,1).".dat" using 1:($1*100) with lines dt 3 lc "gray" title "offered"
set xlabel "calls"
set ylabel "loss %"
set yrange [0:*]
plot for [r in relays] "fixed-".r.".dat" using 1:5:6:7 with yerrorlines title r
unset multiplot
unset yrange
unset xlabel

set terminal pngcairo size 900,560 font "sans,10"
set output "cpu.png"
set title "Relay CPU per forwarded packet vs calls (relay process utime+stime)"
set xlabel "calls"
set ylabel "ns per packet (median, min-max bars)"
set yrange [0:*]
plot for [r in relays] "fixed-".r.".dat" using 1:8:9:10 with yerrorlines title r

set output "latency.png"
set title "One-way latency vs calls (median of repetitions): p50 solid, p99 dashed"
set ylabel "latency (us, log scale)"
set logscale y
set yrange [*:*]
plot for [i=1:words(relays)] "fixed-".word(relays,i).".dat" using 1:11 with linespoints lc i title word(relays,i)." p50", \
     for [i=1:words(relays)] "fixed-".word(relays,i).".dat" using 1:12 with linespoints dt 2 lc i title word(relays,i)." p99"
unset logscale y

set output "latency_cdf.png"
set title "One-way latency CDF at ".cdfcalls." calls (first repetition)"
set xlabel "latency (us, log scale)"
set ylabel "fraction of packets"
set logscale x
set yrange [0:1]
set key bottom right
if (strlen(cdfrelays) > 0) plot for [r in cdfrelays] "cdf-".r.".dat" using 1:2 with lines lw 2 title r
