# plugins/lib/net.mk: the /proc/net readers and the network namespace helper.
# Linked into the network and docker checks: add plugins/lib/libtallynet.la to a check's
# LIBADD and -I$(top_srcdir)/plugins/lib to its CPPFLAGS.
noinst_LTLIBRARIES += plugins/lib/libtallynet.la
plugins_lib_libtallynet_la_SOURCES = plugins/lib/procnet.c plugins/lib/procnet.h \
	plugins/lib/procnet_parse.c plugins/lib/netns.c plugins/lib/netns.h
plugins_lib_libtallynet_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -D_GNU_SOURCE
plugins_lib_libtallynet_la_CFLAGS = $(PLUGIN_CFLAGS) -fPIC -pthread
plugins_lib_libtallynet_la_LIBADD = -lpthread
