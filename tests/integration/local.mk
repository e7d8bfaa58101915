# Integration tests: python3 scripts (stdlib only) that start the real ./tally and real peers.
EXTRA_DIST += tests/integration/tallytest.py
