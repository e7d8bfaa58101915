# Integration tests: python3 scripts (stdlib only) that start the real ./tally and real peers.
INTEGRATION_TESTS += tests/integration/test_dogstatsd.py tests/integration/test_bad_input.py \
	tests/integration/test_unix_socket.py tests/integration/test_lifecycle.py
EXTRA_DIST += tests/integration/tallytest.py $(INTEGRATION_TESTS)
INTEGRATION_TESTS += tests/integration/test_clients.py
INTEGRATION_TESTS += tests/integration/test_fwd_datadog.py tests/integration/test_fwd_influxdb.py \
	tests/integration/test_fwd_statuses.py tests/integration/test_fwd_outage.py
INTEGRATION_TESTS += tests/integration/test_out_graphite.py
INTEGRATION_TESTS += tests/integration/test_out_prometheus.py
# issue 4: check plugins (`tally check`, configcheck, the README's example, VictoriaMetrics).
INTEGRATION_TESTS += tests/integration/test_check_cmd.py tests/integration/test_check_example.py \
	tests/integration/test_check_victoria.py
EXTRA_DIST += tests/integration/checktest.py
INTEGRATION_TESTS += tests/integration/test_origin.py
INTEGRATION_TESTS += tests/integration/test_shutdown.py
INTEGRATION_TESTS += tests/integration/test_configcheck.py
INTEGRATION_TESTS += tests/integration/test_status.py
INTEGRATION_TESTS += tests/integration/test_install.py
INTEGRATION_TESTS += tests/integration/test_container.py
INTEGRATION_TESTS += tests/integration/test_receiver_thread.py
# issue 12: forwarder_num_workers against a slow intake
INTEGRATION_TESTS += tests/integration/test_fwd_workers.py
