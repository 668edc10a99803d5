# The end-to-end benchmark's plot (run.sh): for each relay workload, each
# server's CPU per relayed packet (left) and delivered packets/s (right).
#   gnuplot -e "data='plot.dat'; output='plot.png'" plot.gp
set terminal pngcairo size 1200,480 font ",10" noenhanced
set output output
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set grid ytics
stats data index 0 using 2 nooutput
servers = STATS_columns - 1
set multiplot layout 1,2
set title "server CPU µs per relayed packet (lower is better)"
set yrange [0:*]
plot for [i=2:servers+1] data index 0 using i:xtic(1) title columnheader(i)
set title "delivered packets/s"
plot for [i=2:servers+1] data index 1 using i:xtic(1) title columnheader(i)
unset multiplot
