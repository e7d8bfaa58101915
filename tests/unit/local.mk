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
tests_unit_test_ytree_SOURCES = tests/unit/test_ytree.c core/ytree.c core/ytree.h core/xmem.c
tests_unit_test_ytree_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ytree_LDADD = $(UNIT_LIBS)

UNIT_TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c $(CORE_CONFIG_SRC) core/log.c core/xmem.c
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(UNIT_LIBS)
