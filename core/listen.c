#include "listen.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
set_rcvbuf(int fd, size_t bytes)
{
	int v = bytes > (size_t)(1 << 30) ? 1 << 30 : (int)bytes;

	if (v <= 0)
		return;
	/* FORCE ignores rmem_max but needs CAP_NET_ADMIN; fall back to what we may have. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

size_t
tally_listen_rcvbuf(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) < 0 || v < 0)
		return 0;
	return (size_t)v;
}

int
tally_listen_udp(const char *host, int port, size_t rcvbuf_bytes, char *err, size_t err_len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
		                  .ai_socktype = SOCK_DGRAM,
		                  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char service[16];
	int fd = -1, one = 1, rc;

	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		snprintf(err, err_len, "cannot resolve bind_host \"%s\": %s", host,
		         gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_len, "udp socket: %s", strerror(errno));
		goto out_free;
	}
	set_rcvbuf(fd, rcvbuf_bytes);
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
		rc = -errno;
		snprintf(err, err_len, "cannot bind udp %s:%d: %s", host, port, strerror(errno));
		close(fd);
		goto out_free;
	}
	rc = fd;
out_free:
	freeaddrinfo(res);
	return rc;
}

/* 0 when path is free or held by a stale socket (now removed); -EEXIST for anything else. */
static int
clear_stale_socket(const char *path, char *err, size_t err_len)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, err_len, "refusing to replace %s: it exists and is not a socket",
		         path);
		return -EEXIST;
	}
	if (unlink(path) < 0) {
		snprintf(err, err_len, "cannot remove stale socket %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int
tally_listen_unix(const char *path, size_t rcvbuf_bytes, char *err, size_t err_len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, err_len, "dogstatsd_socket path too long (max %zu): %s",
		         sizeof(sun.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	rc = clear_stale_socket(path, err, err_len);
	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_len, "unix socket: %s", strerror(errno));
		return -errno;
	}
	set_rcvbuf(fd, rcvbuf_bytes);
	/* The kernel then attaches each sender's pid: origin detection (origin.h). */
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = -errno;
		snprintf(err, err_len, "cannot bind %s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	/* 0722: any local user may send; only the agent's user may read or remove. */
	if (chmod(path, 0722) < 0) {
		rc = -errno;
		snprintf(err, err_len, "cannot chmod %s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}
