# Integration tests: python3 scripts (stdlib only) that start the real ./tally and real peers.
INTEGRATION_TESTS += tests/integration/test_dogstatsd.py tests/integration/test_bad_input.py \
	tests/integration/test_unix_socket.py tests/integration/test_lifecycle.py
EXTRA_DIST += tests/integration/tallytest.py $(INTEGRATION_TESTS)
