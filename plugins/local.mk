# plugins/: bundled check plugins, built as modules into checks.d/ of the build tree.
# Each plugin folder adds its own include line here (issue 4 and later).

# The public plugin header, installed as $(includedir)/tally/check.h for third-party checks.
pkginclude_HEADERS = include/tally/check.h

# How every check module is built: against include/ only (never core/), hidden symbols but
# the one entry point, no undefined symbols (the agent exports nothing to plugins).
PLUGIN_CPPFLAGS = -I$(top_srcdir)/include
PLUGIN_CFLAGS = -std=gnu11 $(WARN_CFLAGS) $(SAN_CFLAGS) -fvisibility=hidden
PLUGIN_LDFLAGS = -module -avoid-version -no-undefined -shared $(SAN_LDFLAGS) \
	-export-symbols-regex '^tally_check_entry$$'

# Bundled checks install into $(checkplugindir); add them to checkplugin_LTLIBRARIES and to
# TALLY_BUILDTREE_CHECKS (which copies them into the build tree's checks.d/).
checkplugindir = $(pkglibdir)/checks.d
checkplugin_LTLIBRARIES =
# The installed default checksd_path exists even before any bundled check is installed.
install-exec-local:
	$(MKDIR_P) '$(DESTDIR)$(checkplugindir)'

noinst_LTLIBRARIES =
TALLY_BUILDTREE_CHECKS =

# checks.d/example: the example third-party check. Built here only so that the in-tree
# checks.d/ has it (it runs only with a conf.d/example.yaml); not installed.
noinst_LTLIBRARIES += checks.d/example/example.la
checks_d_example_example_la_SOURCES = checks.d/example/example.c
checks_d_example_example_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
checks_d_example_example_la_CFLAGS = $(PLUGIN_CFLAGS)
checks_d_example_example_la_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath $(checkplugindir)
TALLY_BUILDTREE_CHECKS += checks.d/example/example.la
EXTRA_DIST += checks.d/example/README.md conf.d/example.yaml.example

# The build tree's checks.d/ is the in-tree default checksd_path: each module's .so is copied
# there (mode 0644, replaced with mv so a running agent sees a new file) when it changed.
all-local: checksd-buildtree
checksd-buildtree: $(TALLY_BUILDTREE_CHECKS)
	@$(MKDIR_P) checks.d
	@for la in $(TALLY_BUILDTREE_CHECKS); do \
		name=`basename $$la .la`; so=`dirname $$la`/.libs/$$name.so; \
		if ! cmp -s $$so checks.d/$$name.so; then \
			cp -f $$so checks.d/.$$name.so.tmp && chmod 0644 checks.d/.$$name.so.tmp && \
			mv -f checks.d/.$$name.so.tmp checks.d/$$name.so || exit 1; \
			echo "  CHECK    checks.d/$$name.so"; \
		fi; \
	done
clean-local: clean-checksd-buildtree
clean-checksd-buildtree:
	for la in $(TALLY_BUILDTREE_CHECKS); do rm -f checks.d/`basename $$la .la`.so; done
.PHONY: checksd-buildtree clean-checksd-buildtree

# tests/plugins: check modules for the tests (make check): tplug, the configurable test check,
# and deliberately broken ones for the loader tests, each named for what is wrong with it.
TEST_PLUGIN_LDFLAGS = -module -avoid-version -no-undefined -shared $(SAN_LDFLAGS) -rpath /nowhere
check_LTLIBRARIES = tests/plugins/tplug.la tests/plugins/bad_abi.la tests/plugins/bad_size.la \
	tests/plugins/no_symbol.la tests/plugins/wrong_name.la tests/plugins/bad_table.la
tests_plugins_tplug_la_SOURCES = tests/plugins/tplug.c
tests_plugins_tplug_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
tests_plugins_tplug_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_tplug_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_bad_abi_la_SOURCES = tests/plugins/broken.c
tests_plugins_bad_abi_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DBROKEN_ABI -DBROKEN_NAME='"bad_abi"'
tests_plugins_bad_abi_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_bad_abi_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_bad_size_la_SOURCES = tests/plugins/broken.c
tests_plugins_bad_size_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DBROKEN_SIZE -DBROKEN_NAME='"bad_size"'
tests_plugins_bad_size_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_bad_size_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_no_symbol_la_SOURCES = tests/plugins/broken.c
tests_plugins_no_symbol_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DBROKEN_NO_SYMBOL
tests_plugins_no_symbol_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_no_symbol_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_wrong_name_la_SOURCES = tests/plugins/broken.c
tests_plugins_wrong_name_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DBROKEN_NAME='"not_wrong_name"'
tests_plugins_wrong_name_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_wrong_name_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_bad_table_la_SOURCES = tests/plugins/broken.c
tests_plugins_bad_table_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DBROKEN_TABLE -DBROKEN_NAME='"bad_table"'
tests_plugins_bad_table_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_bad_table_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
# Where the tests find them.
TEST_PLUGIN_DIR = $(abs_top_builddir)/tests/plugins/.libs

# The bundled checks and the code they share; each folder owns its own rules.
include plugins/lib/local.mk
include plugins/cgroup/local.mk
include plugins/network/local.mk
include plugins/exec/local.mk
include plugins/docker/local.mk
