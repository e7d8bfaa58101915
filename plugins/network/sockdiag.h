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

/*
 * The metric suffix of state s ("established", "time_wait", "listen", ...), or NULL for a
 * state that has none of its own (TCP_CLOSING: see net_tcp_group).
 */
const char *net_tcp_state_name(int s);

/* Datadog's groups of states, as its check maps `ss` output. */
enum net_tcp_group { NET_TCP_OPENING, NET_TCP_CLOSING, NET_TCP_NGROUPS };
/* "opening" (syn_sent, syn_recv) or "closing" (fin_wait_*, close, close_wait, last_ack, closing).
 */
const char *net_tcp_group_name(enum net_tcp_group g);
/* The group of state s, or -1. */
int net_tcp_group_of(int s);

/*
 * Counts family's (AF_INET or AF_INET6) sockets of protocol (IPPROTO_TCP, IPPROTO_UDP) by
 * state into counts[] (zeroed first), dumping them over fd, a NETLINK_SOCK_DIAG socket.
 * Returns 0 or a negative errno.
 */
int net_sockdiag_count(int fd, int family, int protocol, uint32_t counts[NET_TCP_NSTATES]);

#endif
