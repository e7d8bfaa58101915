# core/: the agent. Each module group below is one line so that work on one does not touch
# another's line.
CORE_BASE_SRC = core/xmem.c core/xmem.h core/log.c core/log.h core/sample.h \
	core/batch.c core/batch.h
CORE_PARSE_SRC = core/parse.c core/parse.h
CORE_AGG_SRC = core/agg.c core/agg.h core/agg_internal.h core/ctx_table.c core/ctx_table.h \
	core/hist.c core/hist.h core/sketch.c core/sketch.h core/uset.c core/uset.h
CORE_CONFIG_SRC = core/config.c core/config.h core/ytree.c core/ytree.h
# issue 3: forwarder and HTTP backends (datadog, influxdb)
CORE_FWD_SRC =
# issue 3: graphite and prometheus outputs
CORE_OUTPUTS_SRC =
# issue 4: check plugins (loader, conf.d, scheduler, sink)
CORE_CHECKS_SRC =
CORE_RUNTIME_SRC = core/agent.c core/agent.h core/listen.c core/listen.h core/mailbox.c \
	core/mailbox.h core/receiver.c core/receiver.h core/rx_process.c core/rx_process.h \
	core/selfstats.c core/selfstats.h core/output.c core/output.h core/out_console.c \
	core/status.c core/status.h core/status_cmd.c

CORE_CFLAGS = $(LIBEVENT_CFLAGS) $(YAML_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) \
	$(ZLIB_CFLAGS) $(XXHASH_CFLAGS)
CORE_LIBS = $(LIBEVENT_LIBS) $(YAML_LIBS) $(CURL_LIBS) $(JSONC_LIBS) $(ZLIB_LIBS) \
	$(XXHASH_LIBS) $(PTHREAD_LIBS) $(LIBS)

# The binary is left at the top of the build tree, as `./tally`.
bin_PROGRAMS += tally
tally_SOURCES = core/main.c $(CORE_BASE_SRC) $(CORE_PARSE_SRC) $(CORE_AGG_SRC) \
	$(CORE_CONFIG_SRC) $(CORE_RUNTIME_SRC) $(CORE_FWD_SRC) $(CORE_OUTPUTS_SRC) \
	$(CORE_CHECKS_SRC)
tally_CFLAGS = $(AM_CFLAGS) $(CORE_CFLAGS)
tally_LDADD = $(CORE_LIBS)
