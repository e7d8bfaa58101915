/*
 * procnet_parse: the text parsers of procnet.h (net/dev, net/snmp and net/netstat, net/snmp6).
 * Pure functions of the bytes they are given: no I/O, no locale, no NUL terminator needed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procnet.h"

/* One line of text: [p, end). */
struct line {
	const char *p, *end;
};

/* Cuts the next line off *cur (up to limit); false at the end of the text. */
static bool
next_line(const char **cur, const char *limit, struct line *ln)
{
	const char *nl;

	if (*cur >= limit)
		return false;
	nl = memchr(*cur, '\n', (size_t)(limit - *cur));
	ln->p = *cur;
	ln->end = nl ? nl : limit;
	*cur = nl ? nl + 1 : limit;
	return true;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Cuts the next whitespace-separated token off ln; false when none is left. */
static bool
next_token(struct line *ln, struct line *tok)
{
	while (ln->p < ln->end && is_space(*ln->p))
		ln->p++;
	if (ln->p >= ln->end)
		return false;
	tok->p = ln->p;
	while (ln->p < ln->end && !is_space(*ln->p))
		ln->p++;
	tok->end = ln->p;
	return true;
}

static bool
tok_eq(const struct line *tok, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(tok->end - tok->p) == n && memcmp(tok->p, s, n) == 0;
}

/*
 * A decimal token as a counter. Negative values (snmp's MaxConn -1) and junk are rejected:
 * they are no counters. Overflow saturates rather than wrapping into a small number.
 */
static bool
tok_u64(const struct line *tok, uint64_t *out)
{
	uint64_t v = 0;

	if (tok->p >= tok->end)
		return false;
	for (const char *p = tok->p; p < tok->end; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (d > 9)
			return false;
		if (v > (UINT64_MAX - d) / 10)
			v = UINT64_MAX;
		else
			v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* ---- net/dev ---- */

#define NETDEV_MAX_COLS 32 /* columns of one direction; today's kernels have 8 */

/* What the kth number of an interface line is: a tally_netdev_col, or -1 (not kept). */
struct netdev_layout {
	int col[2 * NETDEV_MAX_COLS];
	size_t n;
};

static int
col_of(const struct line *name, bool tx)
{
	static const char *const names[] = { "bytes", "packets", "errs", "drop" };

	for (int i = 0; i < 4; i++) {
		if (tok_eq(name, names[i]))
			return (tx ? TALLY_NETDEV_TX_BYTES : TALLY_NETDEV_RX_BYTES) + i;
	}
	return -1;
}

/*
 * The second header line, " face |bytes packets ...|bytes packets ...": receive names, then
 * transmit names, after the first and second '|'.
 */
static int
parse_netdev_header(struct line hdr, struct netdev_layout *lay)
{
	const char *bar1 = memchr(hdr.p, '|', (size_t)(hdr.end - hdr.p));
	const char *bar2;
	struct line sec[2], tok;

	if (!bar1)
		return -EINVAL;
	bar2 = memchr(bar1 + 1, '|', (size_t)(hdr.end - bar1 - 1));
	if (!bar2)
		return -EINVAL;
	sec[0] = (struct line){ bar1 + 1, bar2 };
	sec[1] = (struct line){ bar2 + 1, hdr.end };
	lay->n = 0;
	for (int s = 0; s < 2; s++) {
		size_t in_sec = 0;

		while (next_token(&sec[s], &tok) && in_sec < NETDEV_MAX_COLS) {
			lay->col[lay->n++] = col_of(&tok, s == 1);
			in_sec++;
		}
	}
	return lay->n ? 0 : -EINVAL;
}

static int
grow(struct tally_netdev_set *out)
{
	size_t cap = out->cap ? out->cap * 2 : 16;
	struct tally_netdev *d;

	if (out->n < out->cap)
		return 0;
	d = realloc(out->dev, cap * sizeof(*d));
	if (!d)
		return -ENOMEM;
	out->dev = d;
	out->cap = cap;
	return 0;
}

/* "  eth0: 1 2 3 ..." (or "eth0:1 2 ..." when the name and the first number touch). */
static bool
parse_netdev_line(struct line ln, const struct netdev_layout *lay, struct tally_netdev *d)
{
	const char *colon = memchr(ln.p, ':', (size_t)(ln.end - ln.p));
	struct line name, tok;
	size_t nlen, k = 0;

	if (!colon)
		return false;
	name = (struct line){ ln.p, colon };
	if (!next_token(&name, &tok))
		return false;
	nlen = (size_t)(tok.end - tok.p);
	if (nlen >= sizeof(d->name))
		nlen = sizeof(d->name) - 1;
	memcpy(d->name, tok.p, nlen);
	d->name[nlen] = '\0';
	memset(d->v, 0, sizeof(d->v));
	d->have = 0;
	ln.p = colon + 1;
	while (k < lay->n && next_token(&ln, &tok)) {
		uint64_t v;
		int col = lay->col[k++];

		if (!tok_u64(&tok, &v))
			return false;
		if (col >= 0) {
			d->v[col] = v;
			d->have |= 1u << col;
		}
	}
	return k > 0;
}

int
tally_netdev_parse(const char *text, size_t len, struct tally_netdev_set *out)
{
	const char *cur = text, *limit = text + len;
	struct netdev_layout lay;
	struct line ln;
	int rc;

	out->n = 0;
	/* Line 1 is "Inter-|   Receive  |  Transmit"; line 2 names the columns. */
	if (!next_line(&cur, limit, &ln) || !memchr(ln.p, '|', (size_t)(ln.end - ln.p)))
		return -EINVAL;
	if (!next_line(&cur, limit, &ln))
		return -EINVAL;
	rc = parse_netdev_header(ln, &lay);
	if (rc < 0)
		return rc;
	while (next_line(&cur, limit, &ln)) {
		if (grow(out) < 0)
			return -ENOMEM;
		if (parse_netdev_line(ln, &lay, &out->dev[out->n]))
			out->n++;
	}
	return 0;
}

const struct tally_netdev *
tally_netdev_find(const struct tally_netdev_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->dev[i].name, name) == 0)
			return &set->dev[i];
	}
	return NULL;
}

void
tally_netdev_set_free(struct tally_netdev_set *set)
{
	free(set->dev);
	set->dev = NULL;
	set->n = set->cap = 0;
}

/* ---- net/snmp, net/netstat, net/snmp6 ---- */

/* Where each counter is: snmp/netstat "prefix" + field, or (prefix NULL) snmp6's name. */
static const struct {
	const char *prefix, *field, *full;
} np_names[TALLY_NP_COUNT] = {
	[TALLY_NP_TCP_ACTIVE_OPENS] = { "Tcp", "ActiveOpens", "Tcp:ActiveOpens" },
	[TALLY_NP_TCP_PASSIVE_OPENS] = { "Tcp", "PassiveOpens", "Tcp:PassiveOpens" },
	[TALLY_NP_TCP_ATTEMPT_FAILS] = { "Tcp", "AttemptFails", "Tcp:AttemptFails" },
	[TALLY_NP_TCP_ESTAB_RESETS] = { "Tcp", "EstabResets", "Tcp:EstabResets" },
	[TALLY_NP_TCP_CURR_ESTAB] = { "Tcp", "CurrEstab", "Tcp:CurrEstab" },
	[TALLY_NP_TCP_IN_SEGS] = { "Tcp", "InSegs", "Tcp:InSegs" },
	[TALLY_NP_TCP_OUT_SEGS] = { "Tcp", "OutSegs", "Tcp:OutSegs" },
	[TALLY_NP_TCP_RETRANS_SEGS] = { "Tcp", "RetransSegs", "Tcp:RetransSegs" },
	[TALLY_NP_TCP_IN_ERRS] = { "Tcp", "InErrs", "Tcp:InErrs" },
	[TALLY_NP_TCP_OUT_RSTS] = { "Tcp", "OutRsts", "Tcp:OutRsts" },
	[TALLY_NP_UDP_IN_DATAGRAMS] = { "Udp", "InDatagrams", "Udp:InDatagrams" },
	[TALLY_NP_UDP_NO_PORTS] = { "Udp", "NoPorts", "Udp:NoPorts" },
	[TALLY_NP_UDP_IN_ERRORS] = { "Udp", "InErrors", "Udp:InErrors" },
	[TALLY_NP_UDP_OUT_DATAGRAMS] = { "Udp", "OutDatagrams", "Udp:OutDatagrams" },
	[TALLY_NP_UDP_RCVBUF_ERRORS] = { "Udp", "RcvbufErrors", "Udp:RcvbufErrors" },
	[TALLY_NP_UDP_SNDBUF_ERRORS] = { "Udp", "SndbufErrors", "Udp:SndbufErrors" },
	[TALLY_NP_UDP6_IN_DATAGRAMS] = { NULL, "Udp6InDatagrams", "Udp6InDatagrams" },
	[TALLY_NP_UDP6_NO_PORTS] = { NULL, "Udp6NoPorts", "Udp6NoPorts" },
	[TALLY_NP_UDP6_IN_ERRORS] = { NULL, "Udp6InErrors", "Udp6InErrors" },
	[TALLY_NP_UDP6_OUT_DATAGRAMS] = { NULL, "Udp6OutDatagrams", "Udp6OutDatagrams" },
	[TALLY_NP_UDP6_RCVBUF_ERRORS] = { NULL, "Udp6RcvbufErrors", "Udp6RcvbufErrors" },
	[TALLY_NP_UDP6_SNDBUF_ERRORS] = { NULL, "Udp6SndbufErrors", "Udp6SndbufErrors" },
	[TALLY_NP_TCPEXT_LISTEN_OVERFLOWS] = { "TcpExt", "ListenOverflows",
	                                       "TcpExt:ListenOverflows" },
	[TALLY_NP_TCPEXT_LISTEN_DROPS] = { "TcpExt", "ListenDrops", "TcpExt:ListenDrops" },
};

const char *
tally_netproto_name(enum tally_netproto_id id)
{
	return (unsigned)id < TALLY_NP_COUNT ? np_names[id].full : "?";
}

void
tally_netproto_reset(struct tally_netproto *out)
{
	memset(out, 0, sizeof(*out));
}

static void
store(struct tally_netproto *out, int id, const struct line *val)
{
	uint64_t v;

	if (tok_u64(val, &v)) {
		out->v[id] = v;
		out->have |= 1ull << id;
	}
}

/* Whether any counter kept lives under this "Prefix:" (so the pair is worth walking). */
static bool
prefix_wanted(const struct line *prefix)
{
	for (int id = 0; id < TALLY_NP_COUNT; id++) {
		if (np_names[id].prefix && tok_eq(prefix, np_names[id].prefix))
			return true;
	}
	return false;
}

static int
field_id(const struct line *prefix, const struct line *field)
{
	for (int id = 0; id < TALLY_NP_COUNT; id++) {
		if (np_names[id].prefix && tok_eq(prefix, np_names[id].prefix) &&
		    tok_eq(field, np_names[id].field))
			return id;
	}
	return -1;
}

/* A line's "Prefix" (before the ':' of its first token); false when it has none. */
static bool
line_prefix(struct line ln, struct line *prefix, struct line *rest)
{
	const char *colon = memchr(ln.p, ':', (size_t)(ln.end - ln.p));

	if (!colon)
		return false;
	*prefix = (struct line){ ln.p, colon };
	*rest = (struct line){ colon + 1, ln.end };
	return true;
}

static void
parse_pair(struct line prefix, struct line names, struct line values, struct tally_netproto *out)
{
	struct line name, val;

	while (next_token(&names, &name) && next_token(&values, &val)) {
		int id = field_id(&prefix, &name);

		if (id >= 0)
			store(out, id, &val);
	}
}

int
tally_netproto_parse_snmp(const char *text, size_t len, struct tally_netproto *out)
{
	const char *cur = text, *limit = text + len;
	struct line names, values, p1, p2, r1, r2;
	int pairs = 0;

	while (next_line(&cur, limit, &names)) {
		if (!line_prefix(names, &p1, &r1))
			continue;
		if (!next_line(&cur, limit, &values))
			break;
		if (!line_prefix(values, &p2, &r2) || (p1.end - p1.p) != (p2.end - p2.p) ||
		    memcmp(p1.p, p2.p, (size_t)(p1.end - p1.p)) != 0)
			return pairs ? 0 : -EINVAL; /* not pairs: not an snmp file */
		pairs++;
		if (prefix_wanted(&p1))
			parse_pair(p1, r1, r2, out);
	}
	return pairs ? 0 : -EINVAL;
}

int
tally_netproto_parse_snmp6(const char *text, size_t len, struct tally_netproto *out)
{
	const char *cur = text, *limit = text + len;
	struct line ln, name, val;
	int lines = 0;

	while (next_line(&cur, limit, &ln)) {
		if (!next_token(&ln, &name) || !next_token(&ln, &val))
			continue;
		lines++;
		/* Only "Udp6..." names are kept; skip the others without a table walk. */
		if (name.end - name.p < 4 || memcmp(name.p, "Udp6", 4) != 0)
			continue;
		for (int id = 0; id < TALLY_NP_COUNT; id++) {
			if (!np_names[id].prefix && tok_eq(&name, np_names[id].field)) {
				store(out, id, &val);
				break;
			}
		}
	}
	return lines ? 0 : -EINVAL;
}
