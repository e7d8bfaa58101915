# plugins/network: the network check's unit and integration tests (included from tests/local.mk, after
# UNIT_TESTS and INTEGRATION_TESTS are set; unit tests go inside `if HAVE_CMOCKA`).
