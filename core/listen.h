/*
 * listen: opens the DogStatsD sockets. Creation only; reading is the receiver's job.
 *
 * Called on the main thread at start-up so that a port in use or a bad socket path is reported
 * (one log line, non-zero exit) before anything runs. Both sockets are non-blocking and
 * close-on-exec; UDP asks for SO_RXQ_OVFL so the receiver can count the kernel's drops.
 */
#ifndef TALLY_CORE_LISTEN_H
#define TALLY_CORE_LISTEN_H

#include <stddef.h>

/*
 * Binds UDP host:port with a receive buffer of rcvbuf_bytes (SO_RCVBUFFORCE when allowed, so a
 * small net.core.rmem_max does not cap it). Returns the fd, or -errno with a message in err.
 */
int tally_listen_udp(const char *host, int port, size_t rcvbuf_bytes, char *err, size_t err_len);

/*
 * Binds a Unix datagram socket at path: a stale socket there is unlinked, any other kind of file
 * is refused. The socket is made writable by any local user (0722) and passes the senders'
 * credentials (SO_PASSCRED) for origin detection. Returns the fd or -errno.
 */
int tally_listen_unix(const char *path, size_t rcvbuf_bytes, char *err, size_t err_len);

/* The receive buffer the kernel actually granted fd, in bytes (0 if unknown). */
size_t tally_listen_rcvbuf(int fd);

#endif
