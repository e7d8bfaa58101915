# plugins/network: the network check's unit and integration tests (included from tests/local.mk, after
# UNIT_TESTS and INTEGRATION_TESTS are set; unit tests go inside `if HAVE_CMOCKA`).
if HAVE_CMOCKA
UNIT_TESTS += plugins/network/tests/test_procnet
plugins_network_tests_test_procnet_SOURCES = plugins/network/tests/test_procnet.c
plugins_network_tests_test_procnet_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/lib \
	-D_GNU_SOURCE -DFIXTURE_DIR='"$(abs_top_srcdir)/plugins/network/tests/data"'
plugins_network_tests_test_procnet_CFLAGS = $(UNIT_CFLAGS)
plugins_network_tests_test_procnet_LDADD = plugins/lib/libtallynet.la $(UNIT_LIBS)
UNIT_TESTS += plugins/network/tests/test_network_target
plugins_network_tests_test_network_target_SOURCES = plugins/network/tests/test_network_target.c \
	plugins/network/target.c plugins/network/target.h plugins/network/sockdiag.c \
	plugins/network/sockdiag.h
plugins_network_tests_test_network_target_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGIN_CPPFLAGS) \
	-I$(top_srcdir)/plugins/lib -I$(top_srcdir)/plugins/network -D_GNU_SOURCE \
	-DFIXTURE_DIR='"$(abs_top_srcdir)/plugins/network/tests/data"'
plugins_network_tests_test_network_target_CFLAGS = $(UNIT_CFLAGS)
plugins_network_tests_test_network_target_LDADD = plugins/lib/libtallynet.la $(UNIT_LIBS)
endif
EXTRA_DIST += plugins/network/tests/data/dev plugins/network/tests/data/snmp \
	plugins/network/tests/data/snmp6 plugins/network/tests/data/netstat \
	plugins/network/tests/data/net_dev_old_2_2 plugins/network/tests/data/net_dev_wrap_a \
	plugins/network/tests/data/net_dev_wrap_b plugins/network/tests/data/net_dev_odd
INTEGRATION_TESTS += plugins/network/tests/test_network_netns.py \
	plugins/network/tests/test_network_run.py
EXTRA_DIST += plugins/network/tests/nettest.py
