# plugins/cgroup: the bundled cgroup check (its build rules; tests in tests.mk).
CGROUP_CHECK_SRC = plugins/cgroup/cgroup.c plugins/cgroup/submit.c plugins/cgroup/submit.h
checkplugin_LTLIBRARIES += plugins/cgroup/cgroup.la
plugins_cgroup_cgroup_la_SOURCES = $(CGROUP_CHECK_SRC)
plugins_cgroup_cgroup_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -I$(top_srcdir)/plugins/lib -D_GNU_SOURCE
plugins_cgroup_cgroup_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_cgroup_cgroup_la_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath $(checkplugindir)
plugins_cgroup_cgroup_la_LIBADD = $(CGROUP_LIB)
TALLY_BUILDTREE_CHECKS += plugins/cgroup/cgroup.la
EXTRA_DIST += plugins/cgroup/README.md conf.d/cgroup.yaml.example conf.d/cgroup.yaml.default
# bench/cgroup_bench: a check run over 1,000 real cgroups against the kept-open floor (by hand).
noinst_PROGRAMS += bench/cgroup_bench
bench_cgroup_bench_SOURCES = bench/cgroup_bench.c
bench_cgroup_bench_CPPFLAGS = -I$(top_srcdir)/include -D_GNU_SOURCE
bench_cgroup_bench_LDADD = -ldl
