#include "hostport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int
parse_port(const char *s, int *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		return -EINVAL;
	*port = (int)v;
	return 0;
}

static int
copy_host(const char *s, size_t len, const char *def_host, char *host, size_t host_len)
{
	if (len == 0) {
		s = def_host;
		len = strlen(def_host);
	}
	if (len >= host_len)
		return -EINVAL;
	memcpy(host, s, len);
	host[len] = '\0';
	return 0;
}

int
tally_hostport_split(const char *s, const char *def_host, int default_port, char *host,
                     size_t host_len, int *port)
{
	const char *h = s, *colon;
	size_t hlen;

	if (!s || !*s)
		return -EINVAL;
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close == s + 1 || (close[1] != ':' && close[1] != '\0'))
			return -EINVAL;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			return -EINVAL; /* an IPv6 address needs brackets */
		hlen = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (copy_host(h, hlen, def_host, host, host_len) < 0)
		return -EINVAL;
	if (colon)
		return parse_port(colon + 1, port);
	if (default_port <= 0)
		return -EINVAL;
	*port = default_port;
	return 0;
}
