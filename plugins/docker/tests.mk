# plugins/docker: the docker check's unit and integration tests (included from tests/local.mk, after
# UNIT_TESTS and INTEGRATION_TESTS are set; unit tests go inside `if HAVE_CMOCKA`).
# The private Docker engine every docker-based integration test starts (tests/integration/dockerd.py).
EXTRA_DIST += tests/integration/dockerd.py
INTEGRATION_TESTS += plugins/docker/tests/test_docker_socket.py
EXTRA_DIST += plugins/docker/tests/dockertest.py
INTEGRATION_TESTS += plugins/docker/tests/test_docker_engine.py
INTEGRATION_TESTS += plugins/docker/tests/test_docker_parity.py
INTEGRATION_TESTS += plugins/docker/tests/test_docker_origin.py
EXTRA_DIST += plugins/docker/tests/dsd_send.c
if HAVE_CMOCKA
UNIT_TESTS += plugins/docker/tests/test_docker_units
plugins_docker_tests_test_docker_units_SOURCES = plugins/docker/tests/test_docker_units.c \
	plugins/docker/tags.c plugins/docker/tags.h plugins/docker/ctrstats.c plugins/docker/ctrstats.h \
	plugins/docker/engine.c plugins/docker/engine.h
plugins_docker_tests_test_docker_units_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/docker \
	-I$(top_srcdir)/plugins/lib -D_GNU_SOURCE
plugins_docker_tests_test_docker_units_CFLAGS = $(UNIT_CFLAGS)
plugins_docker_tests_test_docker_units_LDADD = $(CGROUP_LIB) plugins/lib/libtallynet.la \
	$(UNIT_LIBS)
endif
# The tagger (core/tagger.c) the docker check publishes to, and the receive path reading it.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_tagger
tests_unit_test_tagger_SOURCES = tests/unit/test_tagger.c core/tagger.c core/tagger.h \
	core/rx_process.c core/rx_process.h $(CORE_PARSE_SRC) $(CORE_AGG_SRC) core/batch.c \
	core/log.c core/xmem.c
tests_unit_test_tagger_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tagger_LDADD = $(UNIT_LIBS)
endif
