# plugins/lib/net.mk: the /proc/net readers and the network namespace helper.
