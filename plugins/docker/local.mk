# plugins/docker: the bundled docker check (its build rules; tests in tests.mk).
DOCKER_SRC = plugins/docker/docker.c plugins/docker/docker.h plugins/docker/engine.c \
	plugins/docker/engine.h plugins/docker/tags.c plugins/docker/tags.h \
	plugins/docker/ctrstats.c plugins/docker/ctrstats.h plugins/docker/submit.c \
	plugins/docker/statstab.c
checkplugin_LTLIBRARIES += plugins/docker/docker.la
plugins_docker_docker_la_SOURCES = $(DOCKER_SRC)
plugins_docker_docker_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -I$(top_srcdir)/plugins/lib -D_GNU_SOURCE
plugins_docker_docker_la_CFLAGS = $(PLUGIN_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS)
plugins_docker_docker_la_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath $(checkplugindir)
plugins_docker_docker_la_LIBADD = $(CGROUP_LIB) plugins/lib/libtallynet.la $(CURL_LIBS) \
	$(JSONC_LIBS)
TALLY_BUILDTREE_CHECKS += plugins/docker/docker.la
EXTRA_DIST += plugins/docker/README.md conf.d/docker.yaml.default conf.d/docker.yaml.example
