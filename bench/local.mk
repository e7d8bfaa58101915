# bench/: the load generator and the floor receiver (run by hand: bench/run.sh).
noinst_PROGRAMS += bench/loadgen bench/floor
bench_loadgen_SOURCES = bench/loadgen.c
bench_floor_SOURCES = bench/floor.c
EXTRA_DIST += bench/run.sh bench/README.md
