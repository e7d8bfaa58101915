# plugins/exec: the bundled exec check (its build rules; tests in tests.mk).
