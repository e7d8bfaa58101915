# plugins/lib/cgroup.mk: the cgroup reader (discovery, selection, reading v1/v2 files).
