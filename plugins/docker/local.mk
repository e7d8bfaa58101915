# plugins/docker: the bundled docker check (its build rules; tests in tests.mk).
DOCKER_SRC = plugins/docker/docker.c plugins/docker/docker.h plugins/docker/engine.c \
	plugins/docker/engine.h plugins/docker/tags.c plugins/docker/tags.h \
	plugins/docker/ctrstats.c plugins/docker/ctrstats.h plugins/docker/submit.c \
	plugins/docker/statstab.c plugins/docker/events.c plugins/docker/inspect_cache.c
checkplugin_LTLIBRARIES += plugins/docker/docker.la
plugins_docker_docker_la_SOURCES = $(DOCKER_SRC)
plugins_docker_docker_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -I$(top_srcdir)/plugins/lib -D_GNU_SOURCE
plugins_docker_docker_la_CFLAGS = $(PLUGIN_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS)
plugins_docker_docker_la_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath $(checkplugindir)
plugins_docker_docker_la_LIBADD = $(CGROUP_LIB) plugins/lib/libtallynet.la $(CURL_LIBS) \
	$(JSONC_LIBS)
TALLY_BUILDTREE_CHECKS += plugins/docker/docker.la
EXTRA_DIST += plugins/docker/README.md conf.d/docker.yaml.default conf.d/docker.yaml.example
# bench/tagger_bench: what container tags cost on the receive path (run by hand).
noinst_PROGRAMS += bench/tagger_bench
bench_tagger_bench_SOURCES = bench/tagger_bench.c core/rx_process.c core/rx_process.h \
	core/tagger.c core/tagger.h $(CORE_BASE_SRC) $(CORE_PARSE_SRC) $(CORE_AGG_SRC)
bench_tagger_bench_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS)
bench_tagger_bench_LDADD = $(CORE_LIBS) -lm
EXTRA_DIST += bench/docker_bench.py
