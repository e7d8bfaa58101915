# plugins/docker: the bundled docker check (its build rules; tests in tests.mk).
