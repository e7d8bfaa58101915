# core/: the agent. Each module group below is one line so that work on one does not touch
# another's line.
CORE_BASE_SRC = core/xmem.c core/xmem.h core/log.c core/log.h core/sample.h core/clock.h core/swar.h \
	core/batch.c core/batch.h
CORE_PARSE_SRC = core/parse.c core/parse.h core/parse_internal.h core/parse_events.c
CORE_AGG_SRC = core/agg.c core/agg.h core/agg_internal.h core/agg_types.c core/ctx_table.c \
	core/ctx_table.h core/ctx_index.c core/ctx_index.h core/ctx_slab.c core/ctx_slab.h core/tagset.c core/tagset.h core/hist.c core/hist.h core/sketch.c core/sketch.h core/uset.c core/uset.h
CORE_CONFIG_SRC = core/config.c core/config.h core/config_internal.h core/config_set.c \
	core/config_outputs.c core/config_print.c core/ytree.c core/ytree.h core/ytree_internal.h \
	core/ytree_get.c core/ytree_text.c
# issue 3: forwarder and HTTP backends (datadog, influxdb)
CORE_FWD_SRC = core/fwd_policy.c core/fwd_policy.h core/fwd_queue.c core/fwd_queue.h core/fwd_spool.c core/fwd_spool.h core/fwd_http.c core/fwd_http.h core/forwarder.c core/forwarder.h core/fwd_drain.c core/fwd_internal.h core/fwd_setup.c core/fwd_stats.c core/dd_payload.c core/dd_payload.h core/influx_line.c core/influx_line.h core/out_http.c core/out_http.h
# issue 3: graphite and prometheus outputs
CORE_OUTPUTS_SRC = core/outfmt.c core/outfmt.h core/hostport.c core/hostport.h core/lineq.c core/lineq.h core/linestream.c core/linestream.h core/graphite_fmt.c core/graphite_fmt.h core/out_graphite.c core/out_graphite.h core/prom_fmt.c core/prom_fmt.h core/prom_store.c core/prom_store.h core/out_prom.c core/out_prom.h
# issue 4: check plugins (loader, conf.d, scheduler, sink)
CORE_CHECKS_SRC = core/check_loader.c core/check_loader.h core/check_conf.c core/check_conf.h core/confd.c core/confd.h core/check_deriv.c core/check_deriv.h core/check_sink.c core/check_sink.h core/check_dsd.c core/check_commit.c core/check_commit.h core/check_pool.c core/check_pool.h core/check_sched.c core/check_sched.h core/check_status.c core/checks.c core/checks.h core/checks_rx.c core/check_cmd.c core/check_cmd.h core/check_print.c include/tally/check.h
CORE_RUNTIME_SRC = core/agent.c core/agent.h core/listen.c core/listen.h core/origin.c core/origin.h core/mailbox.c \
	core/mailbox.h core/receiver.c core/receiver.h core/receiver_internal.h core/rx_read.c core/rx_backlog.c core/rx_backlog.h core/rx_process.c \
	core/rx_process.h \
	core/selfstats.c core/selfstats.h core/output.c core/output.h core/out_console.c \
	core/status.c core/status.h core/status_cmd.c core/status_health.c core/status_page.c

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
# issue 10: the tagger (entity tags published by checks, added by the receiver)
CORE_TAGGER_SRC = core/tagger.c core/tagger.h core/check_tags.c
tally_SOURCES += $(CORE_TAGGER_SRC)
# issue 12: JSON text for the Datadog payloads (written without json-c objects)
CORE_JTEXT_SRC = core/jtext.c core/jtext.h core/utf8.h
tally_SOURCES += $(CORE_JTEXT_SRC)
