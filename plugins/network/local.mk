# plugins/network: the bundled network check (its build rules; tests in tests.mk).
