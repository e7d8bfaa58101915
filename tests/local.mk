# tests/: cmocka unit tests (one program per module, linking only what that module needs),
# integration tests that drive the real ./tally binary, and the parser fuzz harness.
TEST_EXTENSIONS = .py .sh
PY_LOG_COMPILER = python3
SH_LOG_COMPILER = bash
AM_TESTS_ENVIRONMENT = TALLY_BIN='$(abs_top_builddir)/tally'; \
	TALLY_SRCDIR='$(abs_top_srcdir)'; TALLY_BUILDDIR='$(abs_top_builddir)'; \
	export TALLY_BIN TALLY_SRCDIR TALLY_BUILDDIR;

UNIT_TESTS =
INTEGRATION_TESTS =

UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(CORE_CFLAGS)
UNIT_LIBS = $(CMOCKA_LIBS) $(CORE_LIBS)

if HAVE_CMOCKA
include tests/unit/local.mk
endif
include tests/integration/local.mk
# Each bundled plugin's tests live beside it.
include plugins/cgroup/tests.mk
include plugins/network/tests.mk
include plugins/exec/tests.mk
include plugins/docker/tests.mk
include tests/fuzz/local.mk

check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS) $(INTEGRATION_TESTS)
