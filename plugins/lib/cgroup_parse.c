/*
 * cgroup_parse: the kernel's cgroup file formats, parsed from a NUL-terminated buffer. Pure
 * functions (no I/O) so the unit tests feed them the documented texts byte for byte. The
 * formats are the ones in Documentation/admin-guide/cgroup-v1/ and cgroup-v2.rst.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_int.h"

int
tally_cg_parse_u64(const char *buf, uint64_t *v)
{
	char *end;
	unsigned long long x;

	while (*buf == ' ')
		buf++;
	if (strncmp(buf, "max", 3) == 0)
		return 1;
	if (*buf < '0' || *buf > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(buf, &end, 10);
	if (errno || (*end && *end != '\n' && *end != ' '))
		return -EINVAL;
	*v = x;
	return 0;
}

uint32_t
tally_cg_parse_keyed(const char *buf, const char *const *keys, size_t n_keys, uint64_t *vals)
{
	uint32_t found = 0, all = n_keys >= 32 ? UINT32_MAX : (1u << n_keys) - 1;
	const char *p = buf;

	while (*p && found != all) {
		const char *sp = strchr(p, ' '), *nl;

		if (!sp)
			break;
		nl = strchr(sp, '\n');
		for (size_t i = 0; i < n_keys; i++) {
			size_t klen = strlen(keys[i]);

			if ((size_t)(sp - p) == klen && memcmp(p, keys[i], klen) == 0) {
				vals[i] = strtoull(sp + 1, NULL, 10);
				found |= 1u << i;
				break;
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return found;
}

/* The device slot for major:minor, added when there is room; NULL when full. */
static struct tally_cg_dev *
dev_slot(struct tally_cg_stats *st, unsigned major, unsigned minor)
{
	for (size_t i = 0; i < st->n_dev; i++) {
		if (st->dev[i].major == major && st->dev[i].minor == minor)
			return &st->dev[i];
	}
	if (st->n_dev == TALLY_CG_MAX_DEV)
		return NULL;
	st->dev[st->n_dev] = (struct tally_cg_dev){ .major = major, .minor = minor };
	return &st->dev[st->n_dev++];
}

/* "MAJ:MIN" at *p; advances past it. */
static int
parse_devno(const char **p, unsigned *major, unsigned *minor)
{
	char *end;

	*major = (unsigned)strtoul(*p, &end, 10);
	if (end == *p || *end != ':')
		return -EINVAL;
	*p = end + 1;
	*minor = (unsigned)strtoul(*p, &end, 10);
	if (end == *p)
		return -EINVAL;
	*p = end;
	return 0;
}

int
tally_cg_parse_blkio(const char *buf, struct tally_cg_stats *st)
{
	for (const char *p = buf; *p;) {
		const char *nl = strchr(p, '\n');
		unsigned major, minor;

		/* The last line is "Total N": no device, nothing to add. */
		if (parse_devno(&p, &major, &minor) == 0 && *p == ' ') {
			uint64_t *dst = NULL;
			struct tally_cg_dev *d = dev_slot(st, major, minor);
			uint64_t v;

			p++;
			if (strncmp(p, "Read ", 5) == 0) {
				v = strtoull(p + 5, NULL, 10);
				st->io_read_bytes += v;
				dst = d ? &d->read_bytes : NULL;
			} else if (strncmp(p, "Write ", 6) == 0) {
				v = strtoull(p + 6, NULL, 10);
				st->io_write_bytes += v;
				dst = d ? &d->write_bytes : NULL;
			}
			if (dst)
				*dst += v;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

int
tally_cg_parse_iostat(const char *buf, struct tally_cg_stats *st)
{
	for (const char *p = buf; *p;) {
		const char *nl = strchr(p, '\n');
		unsigned major, minor;

		if (parse_devno(&p, &major, &minor) == 0) {
			struct tally_cg_dev *d = dev_slot(st, major, minor);
			const char *r = strstr(p, " rbytes="), *w = strstr(p, " wbytes=");
			uint64_t rv = 0, wv = 0;

			if (r && (!nl || r < nl))
				rv = strtoull(r + 8, NULL, 10);
			if (w && (!nl || w < nl))
				wv = strtoull(w + 8, NULL, 10);
			st->io_read_bytes += rv;
			st->io_write_bytes += wv;
			if (d) {
				d->read_bytes += rv;
				d->write_bytes += wv;
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

int
tally_cg_parse_psi(const char *buf, uint64_t *some, uint64_t *full)
{
	int got = 0;

	for (const char *p = buf; *p;) {
		const char *nl = strchr(p, '\n'), *t = strstr(p, " total=");

		if (t && (!nl || t < nl)) {
			if (strncmp(p, "some ", 5) == 0) {
				*some = strtoull(t + 7, NULL, 10);
				got |= 1;
			} else if (strncmp(p, "full ", 5) == 0) {
				*full = strtoull(t + 7, NULL, 10);
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return got ? 0 : -EINVAL;
}
