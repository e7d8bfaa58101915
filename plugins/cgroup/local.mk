# plugins/cgroup: the bundled cgroup check (its build rules; tests in tests.mk).
