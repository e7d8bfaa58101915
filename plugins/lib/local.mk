# plugins/lib: code shared by several bundled plugins, as libtool convenience libraries
# linked statically into each .so. One .mk per library so each has one owner.
include plugins/lib/cgroup.mk
include plugins/lib/net.mk
