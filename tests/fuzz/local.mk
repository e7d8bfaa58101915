# libFuzzer harnesses; built with --enable-fuzzing and CC=clang.
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_parse
tests_fuzz_fuzz_parse_SOURCES = tests/fuzz/fuzz_parse.c core/parse.c core/parse_events.c core/xmem.c
tests_fuzz_fuzz_parse_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_parse_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif
