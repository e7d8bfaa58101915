# plugins/exec: the exec check's unit and integration tests (included from tests/local.mk, after
# UNIT_TESTS and INTEGRATION_TESTS are set; unit tests go inside `if HAVE_CMOCKA`).
if HAVE_CMOCKA
UNIT_TESTS += plugins/exec/tests/test_exec_parse
plugins_exec_tests_test_exec_parse_SOURCES = plugins/exec/tests/test_exec_parse.c \
	plugins/exec/parse_out.c plugins/exec/parse_out.h
plugins_exec_tests_test_exec_parse_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/exec \
	-D_GNU_SOURCE
plugins_exec_tests_test_exec_parse_CFLAGS = $(UNIT_CFLAGS)
plugins_exec_tests_test_exec_parse_LDADD = $(UNIT_LIBS)
endif
INTEGRATION_TESTS += plugins/exec/tests/test_exec_nagios.py plugins/exec/tests/test_exec_formats.py \
	plugins/exec/tests/test_exec_safety.py
EXTRA_DIST += plugins/exec/tests/exectest.py
