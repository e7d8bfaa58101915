# plugins/docker: the docker check's unit and integration tests (included from tests/local.mk, after
# UNIT_TESTS and INTEGRATION_TESTS are set; unit tests go inside `if HAVE_CMOCKA`).
# The private Docker engine every docker-based integration test starts (tests/integration/dockerd.py).
EXTRA_DIST += tests/integration/dockerd.py
INTEGRATION_TESTS += plugins/docker/tests/test_docker_socket.py
EXTRA_DIST += plugins/docker/tests/dockertest.py
INTEGRATION_TESTS += plugins/docker/tests/test_docker_engine.py
INTEGRATION_TESTS += plugins/docker/tests/test_docker_parity.py
INTEGRATION_TESTS += plugins/docker/tests/test_docker_origin.py
EXTRA_DIST += plugins/docker/tests/dsd_send.c
