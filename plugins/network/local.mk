# plugins/network: the bundled network check (its build rules; tests in tests.mk).
NETWORK_SRC = plugins/network/network.c plugins/network/target.c plugins/network/target.h \
	plugins/network/sockdiag.c plugins/network/sockdiag.h
checkplugin_LTLIBRARIES += plugins/network/network.la
plugins_network_network_la_SOURCES = $(NETWORK_SRC)
plugins_network_network_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -I$(top_srcdir)/plugins/lib -D_GNU_SOURCE
plugins_network_network_la_CFLAGS = $(PLUGIN_CFLAGS) -pthread
plugins_network_network_la_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath $(checkplugindir)
plugins_network_network_la_LIBADD = plugins/lib/libtallynet.la
TALLY_BUILDTREE_CHECKS += plugins/network/network.la
EXTRA_DIST += plugins/network/README.md conf.d/network.yaml.example conf.d/network.yaml.default
# bench/network_bench (run by hand through bench/network.sh): the check's run against the
# kept-open floor and open-per-read, over the host and N namespaces.
noinst_PROGRAMS += bench/network_bench
bench_network_bench_SOURCES = bench/network_bench.c plugins/network/target.c \
	plugins/network/sockdiag.c
bench_network_bench_CPPFLAGS = $(PLUGIN_CPPFLAGS) -I$(top_srcdir)/plugins/lib \
	-I$(top_srcdir)/plugins/network -D_GNU_SOURCE
bench_network_bench_CFLAGS = $(PLUGIN_CFLAGS) -pthread
bench_network_bench_LDADD = plugins/lib/libtallynet.la
EXTRA_DIST += bench/network.sh
