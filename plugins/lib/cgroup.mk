# plugins/lib/cgroup.mk: the cgroup reader (discovery, selection, reading v1/v2 files), a
# libtool convenience library linked into the cgroup and docker checks.
CGROUP_LIB_SRC = plugins/lib/cgroup.h plugins/lib/cgroup_int.h plugins/lib/cgroup_mounts.c \
	plugins/lib/cgroup_list.c plugins/lib/cgroup_read.c plugins/lib/cgroup_parse.c \
	plugins/lib/cgroup_proc.c plugins/lib/cgroup_set.c
noinst_LTLIBRARIES += plugins/lib/libtallycg.la
plugins_lib_libtallycg_la_SOURCES = $(CGROUP_LIB_SRC)
plugins_lib_libtallycg_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -I$(top_srcdir)/plugins/lib -D_GNU_SOURCE
plugins_lib_libtallycg_la_CFLAGS = $(PLUGIN_CFLAGS)
# Users: add $(CGROUP_LIB) to their _LIBADD and -I$(top_srcdir)/plugins/lib to _CPPFLAGS.
CGROUP_LIB = plugins/lib/libtallycg.la
