# plugins/cgroup: the cgroup check's unit and integration tests (included from tests/local.mk, after
# UNIT_TESTS and INTEGRATION_TESTS are set; unit tests go inside `if HAVE_CMOCKA`).
if HAVE_CMOCKA
UNIT_TESTS += plugins/cgroup/tests/test_cgroup_lib
plugins_cgroup_tests_test_cgroup_lib_SOURCES = plugins/cgroup/tests/test_cgroup_lib.c \
	$(CGROUP_LIB_SRC)
plugins_cgroup_tests_test_cgroup_lib_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/lib \
	-D_GNU_SOURCE -DFIXTURES='"$(abs_top_srcdir)/plugins/cgroup/tests/fixtures"'
plugins_cgroup_tests_test_cgroup_lib_CFLAGS = $(UNIT_CFLAGS)
plugins_cgroup_tests_test_cgroup_lib_LDADD = $(UNIT_LIBS)
endif
EXTRA_DIST += plugins/cgroup/tests/fixtures
INTEGRATION_TESTS += plugins/cgroup/tests/test_cgroup_real.py \
	plugins/cgroup/tests/test_cgroup_fixtures.py plugins/cgroup/tests/test_cgroup_run.py \
	plugins/cgroup/tests/test_cgroup_container.py
EXTRA_DIST += plugins/cgroup/tests/cgtest.py
