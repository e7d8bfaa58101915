/*
 * sockdiag: TCP connections by state, counted through netlink NETLINK_SOCK_DIAG (what `ss`
 * uses) rather than /proc/net/tcp, whose text costs milliseconds per read and grows with every
 * socket. The socket given is bound to the namespace it was made in (netns.h can make it in
 * another one). Called by one run at a time.
 */
#ifndef TALLY_NETWORK_SOCKDIAG_H
#define TALLY_NETWORK_SOCKDIAG_H

#include <stdint.h>

/* Kernel TCP states are 1..11 (TCP_ESTABLISHED .. TCP_CLOSING); index 0 is unused. */
#define NET_TCP_NSTATES 12

/* The metric suffix of state s ("established", "time_wait", "listen", ...), or NULL. */
const char *net_tcp_state_name(int s);

/*
 * Counts family's (AF_INET or AF_INET6) TCP sockets by state into counts[] (zeroed first),
 * dumping them over fd, a NETLINK_SOCK_DIAG socket. Returns 0 or a negative errno.
 */
int net_sockdiag_count(int fd, int family, uint32_t counts[NET_TCP_NSTATES]);

#endif
