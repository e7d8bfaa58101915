# plugins/exec: the bundled exec check (its build rules; tests in tests.mk).
EXEC_SRC = plugins/exec/exec.c plugins/exec/spawn.c plugins/exec/spawn.h \
	plugins/exec/parse_out.c plugins/exec/parse_out.h
checkplugin_LTLIBRARIES += plugins/exec/exec.la
plugins_exec_exec_la_SOURCES = $(EXEC_SRC)
plugins_exec_exec_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -D_GNU_SOURCE
plugins_exec_exec_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_exec_exec_la_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath $(checkplugindir)
TALLY_BUILDTREE_CHECKS += plugins/exec/exec.la
EXTRA_DIST += plugins/exec/README.md conf.d/exec.yaml.example
EXTRA_DIST += bench/exec_bench.py
