# One line per module's test program; each links only the module under test.
UNIT_TESTS += tests/unit/test_batch
tests_unit_test_batch_SOURCES = tests/unit/test_batch.c core/batch.c core/xmem.c
tests_unit_test_batch_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_batch_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_parse
tests_unit_test_parse_SOURCES = tests/unit/test_parse.c $(CORE_PARSE_SRC) core/xmem.c
tests_unit_test_parse_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_parse_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_agg
tests_unit_test_agg_SOURCES = tests/unit/test_agg.c $(CORE_AGG_SRC) core/batch.c core/xmem.c
tests_unit_test_agg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_agg_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_sketch
tests_unit_test_sketch_SOURCES = tests/unit/test_sketch.c core/sketch.c core/sketch.h core/xmem.c
tests_unit_test_sketch_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sketch_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_hist
tests_unit_test_hist_SOURCES = tests/unit/test_hist.c core/hist.c core/hist.h core/xmem.c
tests_unit_test_hist_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hist_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_ytree
tests_unit_test_ytree_SOURCES = tests/unit/test_ytree.c core/ytree.c core/ytree.h core/ytree_get.c \
	core/ytree_text.c core/ytree_internal.h core/xmem.c
tests_unit_test_ytree_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ytree_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c $(CORE_CONFIG_SRC) core/log.c core/xmem.c
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(UNIT_LIBS)

# issue 3: forwarder, Datadog payloads, InfluxDB line protocol
UNIT_TESTS += tests/unit/test_fwd_policy tests/unit/test_fwd_queue tests/unit/test_fwd_spool \
	tests/unit/test_dd_payload tests/unit/test_influx_line tests/unit/test_forwarder
tests_unit_test_fwd_policy_SOURCES = tests/unit/test_fwd_policy.c core/fwd_policy.c \
	core/fwd_policy.h
tests_unit_test_fwd_policy_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fwd_policy_LDADD = $(UNIT_LIBS)
tests_unit_test_fwd_queue_SOURCES = tests/unit/test_fwd_queue.c core/fwd_queue.c \
	core/fwd_queue.h core/xmem.c
tests_unit_test_fwd_queue_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fwd_queue_LDADD = $(UNIT_LIBS)
tests_unit_test_fwd_spool_SOURCES = tests/unit/test_fwd_spool.c core/fwd_spool.c \
	core/fwd_spool.h core/fwd_queue.c core/xmem.c core/log.c
tests_unit_test_fwd_spool_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fwd_spool_LDADD = $(UNIT_LIBS)
tests_unit_test_dd_payload_SOURCES = tests/unit/test_dd_payload.c core/dd_payload.c core/jtext.c \
	core/dd_payload.h core/fwd_queue.c core/batch.c core/xmem.c
tests_unit_test_dd_payload_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dd_payload_LDADD = $(UNIT_LIBS)
tests_unit_test_influx_line_SOURCES = tests/unit/test_influx_line.c core/influx_line.c \
	core/influx_line.h core/fwd_queue.c core/batch.c core/xmem.c
tests_unit_test_influx_line_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_influx_line_LDADD = $(UNIT_LIBS)
tests_unit_test_forwarder_SOURCES = tests/unit/test_forwarder.c tests/unit/evloop_testutil.h core/forwarder.c \
	core/fwd_drain.c core/fwd_setup.c core/fwd_stats.c core/fwd_http.c core/fwd_policy.c core/fwd_queue.c \
	core/fwd_spool.c core/batch.c core/xmem.c core/log.c
tests_unit_test_forwarder_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_forwarder_LDADD = $(UNIT_LIBS)
# issue 12: forwarder_num_workers
UNIT_TESTS += tests/unit/test_fwd_workers
tests_unit_test_fwd_workers_SOURCES = tests/unit/test_fwd_workers.c tests/unit/evloop_testutil.h core/forwarder.c \
	core/fwd_drain.c core/fwd_setup.c core/fwd_stats.c core/fwd_http.c core/fwd_policy.c \
	core/fwd_queue.c core/fwd_spool.c core/batch.c core/xmem.c core/log.c
tests_unit_test_fwd_workers_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fwd_workers_LDADD = $(UNIT_LIBS)

# issue 3: graphite and prometheus outputs
UNIT_TESTS += tests/unit/test_lineq
tests_unit_test_lineq_SOURCES = tests/unit/test_lineq.c core/lineq.c core/lineq.h core/xmem.c
tests_unit_test_lineq_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_lineq_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_hostport
tests_unit_test_hostport_SOURCES = tests/unit/test_hostport.c core/hostport.c core/hostport.h
tests_unit_test_hostport_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hostport_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_outfmt
tests_unit_test_outfmt_SOURCES = tests/unit/test_outfmt.c core/outfmt.c core/outfmt.h \
	core/batch.c core/xmem.c
tests_unit_test_outfmt_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_outfmt_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_graphite_fmt
tests_unit_test_graphite_fmt_SOURCES = tests/unit/test_graphite_fmt.c core/graphite_fmt.c \
	core/graphite_fmt.h core/outfmt.c core/batch.c core/xmem.c
tests_unit_test_graphite_fmt_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_graphite_fmt_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_out_graphite
tests_unit_test_out_graphite_SOURCES = tests/unit/test_out_graphite.c core/out_graphite.c \
	core/out_graphite.h core/graphite_fmt.c core/linestream.c core/lineq.c core/outfmt.c \
	core/hostport.c core/batch.c core/fwd_spool.c core/fwd_queue.c core/log.c core/xmem.c
tests_unit_test_out_graphite_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_out_graphite_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_prom_fmt
tests_unit_test_prom_fmt_SOURCES = tests/unit/test_prom_fmt.c core/prom_fmt.c core/prom_fmt.h \
	core/outfmt.c core/batch.c core/xmem.c
tests_unit_test_prom_fmt_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_prom_fmt_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_prom_store
tests_unit_test_prom_store_SOURCES = tests/unit/test_prom_store.c core/prom_store.c \
	core/prom_store.h core/prom_fmt.c core/outfmt.c core/batch.c core/xmem.c
tests_unit_test_prom_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_prom_store_LDADD = $(UNIT_LIBS)

# issue 4: check plugins. The loader and scheduler tests load the .so files of tests/plugins/
# (check_LTLIBRARIES, plugins/local.mk), so they depend on them.
CHECK_YTREE_SRC = core/ytree.c core/ytree.h core/ytree_get.c core/ytree_text.c core/ytree_internal.h
CHECK_TEST_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_PLUGIN_DIR='"$(TEST_PLUGIN_DIR)"'

UNIT_TESTS += tests/unit/test_check_loader
tests_unit_test_check_loader_SOURCES = tests/unit/test_check_loader.c core/check_loader.c \
	core/check_loader.h core/check_conf.c core/check_conf.h $(CHECK_YTREE_SRC) core/log.c \
	core/xmem.c include/tally/check.h
tests_unit_test_check_loader_CPPFLAGS = $(CHECK_TEST_CPPFLAGS)
tests_unit_test_check_loader_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_check_loader_LDADD = $(UNIT_LIBS)
EXTRA_tests_unit_test_check_loader_DEPENDENCIES = $(check_LTLIBRARIES)

UNIT_TESTS += tests/unit/test_confd
tests_unit_test_confd_SOURCES = tests/unit/test_confd.c core/confd.c core/confd.h \
	core/check_conf.c core/check_conf.h $(CHECK_YTREE_SRC) core/xmem.c
tests_unit_test_confd_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_confd_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_check_sink
tests_unit_test_check_sink_SOURCES = tests/unit/test_check_sink.c core/check_sink.c \
	core/check_sink.h core/check_deriv.c core/check_deriv.h core/check_commit.c \
	core/check_commit.h $(CORE_AGG_SRC) core/batch.c core/log.c core/xmem.c \
	core/check_dsd.c $(CORE_PARSE_SRC)
tests_unit_test_check_sink_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_check_sink_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_check_sched
tests_unit_test_check_sched_SOURCES = tests/unit/test_check_sched.c tests/unit/check_testutil.c \
	tests/unit/check_testutil.h core/check_sched.c core/check_sched.h core/check_pool.c \
	core/check_pool.h core/check_status.c core/check_sink.c core/check_deriv.c \
	core/check_loader.c core/check_conf.c core/confd.c core/mailbox.c $(CHECK_YTREE_SRC) \
	core/log.c core/xmem.c
tests_unit_test_check_sched_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_check_sched_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_checks
tests_unit_test_checks_SOURCES = tests/unit/test_checks.c tests/unit/check_testutil.c \
	tests/unit/check_testutil.h core/checks.c core/checks.h core/check_sched.c \
	core/check_pool.c core/check_status.c core/check_sink.c core/check_deriv.c \
	core/check_loader.c core/check_conf.c core/confd.c core/mailbox.c $(CHECK_YTREE_SRC) \
	core/log.c core/xmem.c
tests_unit_test_checks_CPPFLAGS = $(CHECK_TEST_CPPFLAGS)
tests_unit_test_checks_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_checks_LDADD = $(UNIT_LIBS)
EXTRA_tests_unit_test_checks_DEPENDENCIES = $(check_LTLIBRARIES)

UNIT_TESTS += tests/unit/test_origin
tests_unit_test_origin_SOURCES = tests/unit/test_origin.c core/origin.c core/origin.h core/xmem.c
tests_unit_test_origin_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_origin_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_ctx_index
tests_unit_test_ctx_index_SOURCES = tests/unit/test_ctx_index.c core/ctx_index.c core/ctx_index.h \
	core/xmem.c
tests_unit_test_ctx_index_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ctx_index_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_jtext
tests_unit_test_jtext_SOURCES = tests/unit/test_jtext.c core/jtext.c core/jtext.h core/xmem.c
tests_unit_test_jtext_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jtext_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_tagset
tests_unit_test_tagset_SOURCES = tests/unit/test_tagset.c core/tagset.c core/tagset.h \
	core/ctx_slab.c core/ctx_slab.h core/xmem.c
tests_unit_test_tagset_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tagset_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_rx_process
tests_unit_test_rx_process_SOURCES = tests/unit/test_rx_process.c core/rx_process.c \
	core/rx_process.h $(CORE_PARSE_SRC) $(CORE_AGG_SRC) core/batch.c core/log.c core/xmem.c
tests_unit_test_rx_process_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rx_process_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_rx_nap
tests_unit_test_rx_nap_SOURCES = tests/unit/test_rx_nap.c core/receiver_internal.h
tests_unit_test_rx_nap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rx_nap_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_status_page
tests_unit_test_status_page_SOURCES = tests/unit/test_status_page.c core/status_page.c \
	core/status_health.c core/xmem.c
tests_unit_test_status_page_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_status_page_LDADD = $(UNIT_LIBS)
