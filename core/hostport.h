/*
 * hostport: splits the "host:port" strings of the outputs' config (graphite address,
 * prometheus listen) into a host and a port.
 *
 * Pure string work, no resolving; any thread may call it.
 */
#ifndef TALLY_CORE_HOSTPORT_H
#define TALLY_CORE_HOSTPORT_H

#include <stddef.h>

/*
 * Parses "host:port", "[v6addr]:port", ":port" (host becomes def_host) or, when default_port
 * is not 0, a bare "host" / "[v6addr]" (port becomes default_port). Writes the host, without
 * brackets, into host (host_len bytes, NUL-terminated) and the port into *port.
 * Borrows s. Returns 0, or -EINVAL for a malformed string, a port outside 1..65535 or a host
 * longer than host_len - 1.
 */
int tally_hostport_split(const char *s, const char *def_host, int default_port, char *host,
                         size_t host_len, int *port);

#endif
