/*
 * dsd_send: a tiny DogStatsD sender for containers (busybox nc has no Unix-socket mode).
 * Built with gcc -static by the test and copied into the image.
 *   dsd_send SOCKET PAYLOAD COUNT INTERVAL_MS
 * sends PAYLOAD as one datagram COUNT times (0: forever), INTERVAL_MS apart.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long count, ms;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: dsd_send SOCKET PAYLOAD COUNT INTERVAL_MS\n");
		return 2;
	}
	count = strtol(argv[3], NULL, 10);
	ms = strtol(argv[4], NULL, 10);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	for (long i = 0; count == 0 || i < count; i++) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		if (sendto(fd, argv[2], strlen(argv[2]), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			perror("sendto"); /* the agent may not be up yet: keep trying */
		nanosleep(&ts, NULL);
	}
	close(fd);
	return 0;
}
