/*
 * sockdiag: one inet_diag dump per address family, counting replies by idiag_state. No
 * extensions are asked for, so each reply is only the fixed struct inet_diag_msg.
 */
#include "sockdiag.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <string.h>
#include <unistd.h>

static const char *const state_names[NET_TCP_NSTATES] = {
	[1] = "established", [2] = "syn_sent",  [3] = "syn_recv", [4] = "fin_wait_1",
	[5] = "fin_wait_2",  [6] = "time_wait", [7] = "close",    [8] = "close_wait",
	[9] = "last_ack",    [10] = "listen",
	/* 11 (TCP_CLOSING, both ends closing at once) is counted in Datadog's "closing" group */
};

const char *
net_tcp_state_name(int s)
{
	return s > 0 && s < NET_TCP_NSTATES ? state_names[s] : NULL;
}

const char *
net_tcp_group_name(enum net_tcp_group g)
{
	return g == NET_TCP_OPENING ? "opening" : "closing";
}

int
net_tcp_group_of(int s)
{
	switch (s) {
	case 2: /* syn_sent */
	case 3: /* syn_recv */
		return NET_TCP_OPENING;
	case 4:  /* fin_wait_1 */
	case 5:  /* fin_wait_2 */
	case 7:  /* close (ss: UNCONN) */
	case 8:  /* close_wait */
	case 9:  /* last_ack */
	case 11: /* closing */
		return NET_TCP_CLOSING;
	default:
		return -1;
	}
}

static int
send_dump(int fd, int family, int protocol)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.req.sdiag_family = (uint8_t)family;
	msg.req.sdiag_protocol = (uint8_t)protocol;
	msg.req.idiag_states = ~0u; /* every state */
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/* Counts one datagram's messages; 1 when the dump is done, 0 to read more, < 0 on error. */
static int
count_batch(const char *buf, size_t len, uint32_t counts[NET_TCP_NSTATES])
{
	for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, len);
	     h = NLMSG_NEXT(h, len)) {
		const struct inet_diag_msg *m;

		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			return e->error ? e->error : -EIO;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			continue;
		m = NLMSG_DATA(h);
		if (m->idiag_state < NET_TCP_NSTATES)
			counts[m->idiag_state]++;
	}
	return 0;
}

int
net_sockdiag_count(int fd, int family, int protocol, uint32_t counts[NET_TCP_NSTATES])
{
	/* 32 KiB: the kernel fills a dump datagram up to about this much */
	_Alignas(struct nlmsghdr) char buf[32768];
	int rc;

	memset(counts, 0, NET_TCP_NSTATES * sizeof(counts[0]));
	rc = send_dump(fd, family, protocol);
	while (rc == 0) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		rc = count_batch(buf, (size_t)n, counts);
	}
	return rc < 0 ? rc : 0;
}
