# bench/: the load generator, the floor receiver and the in-process ingest loop (run by hand:
# bench/run.sh, bench/ingest; see bench/README.md).
noinst_PROGRAMS += bench/loadgen bench/floor bench/ingest
bench_loadgen_SOURCES = bench/loadgen.c
bench_floor_SOURCES = bench/floor.c
bench_ingest_SOURCES = bench/ingest.c core/rx_process.c core/rx_process.h $(CORE_BASE_SRC) \
	$(CORE_PARSE_SRC) $(CORE_AGG_SRC)
bench_ingest_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS)
bench_ingest_LDADD = $(CORE_LIBS) -lm
EXTRA_DIST += bench/run.sh bench/README.md bench/e2e.py
