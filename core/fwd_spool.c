#include "fwd_spool.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fwd_queue.h"
#include "log.h"
#include "xmem.h"

#define SPOOL_MAGIC    "TALLY-SPOOL 1\n"
#define SPOOL_HDR_MAX  1024
#define SPOOL_FILE_MAX (1024u * 1024 * 1024) /* refuse to read anything bigger */

static int
mkdir_p(const char *path)
{
	char *p = tally_xstrdup(path);
	int rc = 0;

	for (char *s = p + 1; *s && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = -errno;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0700) < 0 && errno != EEXIST)
		rc = -errno;
	free(p);
	return rc;
}

static void
file_path(const struct tally_spool *sp, const struct tally_spool_file *f, char *out, size_t len)
{
	snprintf(out, len, "%s/%020" PRIu64 "-%s-%u.spool", sp->dir, f->seq, f->endpoint, f->count);
}

static void
add_file(struct tally_spool *sp, const struct tally_spool_file *f)
{
	size_t i;

	if (sp->n_files == sp->cap_files) {
		sp->cap_files = sp->cap_files ? 2 * sp->cap_files : 16;
		sp->files = tally_xrealloc(sp->files, sp->cap_files * sizeof(*sp->files));
	}
	for (i = sp->n_files; i > 0 && sp->files[i - 1].seq > f->seq; i--)
		sp->files[i] = sp->files[i - 1];
	sp->files[i] = *f;
	sp->n_files++;
	sp->bytes += f->bytes;
	if (f->seq >= sp->next_seq)
		sp->next_seq = f->seq + 1;
}

static void
remove_at(struct tally_spool *sp, size_t i)
{
	sp->bytes -= sp->files[i].bytes;
	memmove(&sp->files[i], &sp->files[i + 1], (sp->n_files - i - 1) * sizeof(*sp->files));
	sp->n_files--;
}

/* Deletes file i from the disk and the index; returns its entry. */
static struct tally_spool_file
discard_at(struct tally_spool *sp, size_t i)
{
	struct tally_spool_file f = sp->files[i];
	char path[4096];

	file_path(sp, &f, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		TALLY_WARN("spool", "cannot remove file=%s errno=%d", path, errno);
	remove_at(sp, i);
	return f;
}

/* Indexes "<seq>-<endpoint>-<count>.spool"; removes ".tmp-*" left by a crash. */
static void
scan_entry(struct tally_spool *sp, int dfd, const char *name)
{
	struct tally_spool_file f = { 0 };
	struct stat st;
	int used = 0;

	if (strncmp(name, ".tmp-", 5) == 0) {
		unlinkat(dfd, name, 0);
		return;
	}
	if (sscanf(name, "%20" SCNu64 "-%31[a-z_]-%u.spool%n", &f.seq, f.endpoint, &f.count,
	           &used) != 3 ||
	    name[used] != '\0' || fstatat(dfd, name, &st, 0) < 0 || !S_ISREG(st.st_mode))
		return;
	f.bytes = (size_t)st.st_size;
	f.mtime_s = (int64_t)st.st_mtime;
	add_file(sp, &f);
}

struct tally_spool *
tally_spool_open(const char *dir, size_t max_bytes, int64_t max_age_s, char *err, size_t err_len)
{
	struct tally_spool *sp = tally_xcalloc(1, sizeof(*sp));
	struct dirent *de;
	DIR *d;
	int rc = mkdir_p(dir);

	sp->dir = tally_xstrdup(dir);
	sp->max_bytes = max_bytes;
	sp->max_age_s = max_age_s;
	sp->next_seq = 1;
	if (rc < 0 || !(d = opendir(dir))) {
		snprintf(err, err_len, "cannot create or open spool dir %s: %s", dir,
		         strerror(rc < 0 ? -rc : errno));
		goto fail;
	}
	while ((de = readdir(d)))
		scan_entry(sp, dirfd(d), de->d_name);
	closedir(d);
	return sp;
fail:
	tally_spool_free(sp);
	return NULL;
}

unsigned
tally_spool_expire(struct tally_spool *sp, int64_t now_s)
{
	unsigned files = 0, payloads = 0;
	size_t i = 0;

	if (sp->max_age_s <= 0)
		return 0;
	while (i < sp->n_files) {
		struct tally_spool_file f;

		if (now_s - sp->files[i].mtime_s <= sp->max_age_s) {
			i++;
			continue;
		}
		f = discard_at(sp, i);
		files++;
		payloads += f.count;
		if (sp->on_outdated)
			sp->on_outdated(sp->arg, f.endpoint, f.count);
	}
	if (files)
		TALLY_WARN("spool",
		           "outdated files removed dir=%s files=%u payloads=%u max_age_s=%lld",
		           sp->dir, files, payloads, (long long)sp->max_age_s);
	return files;
}

void
tally_spool_free(struct tally_spool *sp)
{
	if (!sp)
		return;
	free(sp->files);
	free(sp->dir);
	free(sp);
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
header_line(const struct tally_fwd_payload *p, char *out, size_t len)
{
	int n =
	    snprintf(out, len,
	             "payload path=%s content-type=%s content-encoding=%s items=%u "
	             "length=%zu\n",
	             p->path, p->content_type,
	             p->content_encoding ? p->content_encoding : "identity", p->n_items, p->len);

	return n > 0 && (size_t)n < len ? n : -ENAMETOOLONG;
}

static int
write_records(int fd, const struct tally_fwd_payload *list)
{
	char hdr[SPOOL_HDR_MAX];
	int rc = write_all(fd, SPOOL_MAGIC, strlen(SPOOL_MAGIC));

	for (const struct tally_fwd_payload *p = list; p && rc == 0; p = p->next) {
		int n = header_line(p, hdr, sizeof(hdr));

		rc = n < 0 ? n : write_all(fd, hdr, (size_t)n);
		if (rc == 0)
			rc = write_all(fd, p->body, p->len);
		if (rc == 0)
			rc = write_all(fd, "\n", 1);
	}
	return rc;
}

static size_t
file_size(const struct tally_fwd_payload *list, unsigned *count)
{
	char hdr[SPOOL_HDR_MAX];
	size_t size = strlen(SPOOL_MAGIC);

	*count = 0;
	for (const struct tally_fwd_payload *p = list; p; p = p->next) {
		int n = header_line(p, hdr, sizeof(hdr));

		size += (n > 0 ? (size_t)n : 0) + p->len + 1;
		(*count)++;
	}
	return size;
}

static void
make_room(struct tally_spool *sp, size_t need)
{
	while (sp->n_files > 0 && sp->bytes + need > sp->max_bytes) {
		struct tally_spool_file f = discard_at(sp, 0);

		if (sp->on_evict)
			sp->on_evict(sp->arg, f.endpoint, f.count);
	}
}

static int
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int
tally_spool_write(struct tally_spool *sp, const char *endpoint,
                  const struct tally_fwd_payload *list)
{
	struct tally_spool_file f = { .seq = sp->next_seq };
	char tmp[4096], path[4096];
	int fd, rc;

	if (!list)
		return 0;
	if (strlen(endpoint) >= sizeof(f.endpoint))
		return -EINVAL;
	strcpy(f.endpoint, endpoint);
	f.bytes = file_size(list, &f.count);
	f.mtime_s = (int64_t)time(NULL);
	if (f.bytes > sp->max_bytes)
		return -EFBIG;
	make_room(sp, f.bytes);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%020" PRIu64 "-%s", sp->dir, f.seq, endpoint);
	file_path(sp, &f, path, sizeof(path));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write_records(fd, list);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	sync_dir(sp->dir);
	add_file(sp, &f);
	return 0;
}

bool
tally_spool_has(const struct tally_spool *sp, const char *endpoint)
{
	for (size_t i = 0; i < sp->n_files; i++) {
		if (strcmp(sp->files[i].endpoint, endpoint) == 0)
			return true;
	}
	return false;
}

size_t
tally_spool_bytes(const struct tally_spool *sp, const char *endpoint)
{
	size_t bytes = 0;

	for (size_t i = 0; i < sp->n_files; i++) {
		if (strcmp(sp->files[i].endpoint, endpoint) == 0)
			bytes += sp->files[i].bytes;
	}
	return bytes;
}

/* Reads one "key=value" field of a header line into out; -EBADMSG when absent. */
static int
hdr_field(const char *hdr, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);

	for (const char *p = hdr; (p = strstr(p, key)); p += klen) {
		if ((p == hdr || p[-1] == ' ') && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " \n");

			if (n >= len)
				return -EBADMSG;
			memcpy(out, p + klen + 1, n);
			out[n] = '\0';
			return 0;
		}
	}
	return -EBADMSG;
}

static struct tally_fwd_payload *
parse_record(const unsigned char *buf, size_t len, size_t *used)
{
	char hdr[SPOOL_HDR_MAX + 1], path[512], ctype[128], cenc[64], items[16], length[24];
	const unsigned char *nl = memchr(buf, '\n', len < SPOOL_HDR_MAX ? len : SPOOL_HDR_MAX);
	struct tally_fwd_payload *p;
	size_t hlen, blen;
	char *end;

	if (!nl || strncmp((const char *)buf, "payload ", 8) != 0)
		return NULL;
	hlen = (size_t)(nl - buf) + 1;
	memcpy(hdr, buf, hlen);
	hdr[hlen] = '\0';
	if (hdr_field(hdr, "path", path, sizeof(path)) || hdr_field(hdr, "items", items, 16) ||
	    hdr_field(hdr, "content-type", ctype, sizeof(ctype)) ||
	    hdr_field(hdr, "content-encoding", cenc, sizeof(cenc)) ||
	    hdr_field(hdr, "length", length, sizeof(length)))
		return NULL;
	blen = strtoull(length, &end, 10);
	if (*end || blen > len - hlen || len - hlen - blen < 1 || buf[hlen + blen] != '\n')
		return NULL;
	p = tally_fwd_payload_new(path, ctype, strcmp(cenc, "identity") ? cenc : NULL,
	                          tally_xmalloc(blen ? blen : 1), blen);
	memcpy(p->body, buf + hlen, blen);
	p->n_items = (unsigned)strtoul(items, NULL, 10);
	*used = hlen + blen + 1;
	return p;
}

int
tally_spool_parse(const unsigned char *buf, size_t len, struct tally_fwd_payload **out)
{
	struct tally_fwd_payload **tail = out;
	size_t off = strlen(SPOOL_MAGIC);
	int n = 0;

	*out = NULL;
	if (len < off || memcmp(buf, SPOOL_MAGIC, off) != 0)
		return -EBADMSG;
	while (off < len) {
		size_t used = 0;
		struct tally_fwd_payload *p = parse_record(buf + off, len - off, &used);

		if (!p)
			return -EBADMSG;
		*tail = p;
		tail = &p->next;
		off += used;
		n++;
	}
	return n;
}

static int
read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	struct stat st;
	int rc = 0;

	*buf = NULL;
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0 || st.st_size > (off_t)SPOOL_FILE_MAX) {
		fclose(f);
		return -EFBIG;
	}
	*len = (size_t)st.st_size;
	*buf = tally_xmalloc(*len + 1);
	if (fread(*buf, 1, *len, f) != *len)
		rc = -EIO;
	fclose(f);
	return rc;
}

int
tally_spool_load(struct tally_spool *sp, const char *endpoint, struct tally_fwd_payload **out)
{
	char path[4096];
	unsigned char *buf = NULL;
	size_t i, len = 0;
	int rc;

	*out = NULL;
	tally_spool_expire(sp, (int64_t)time(NULL));
	for (i = 0; i < sp->n_files; i++) {
		if (strcmp(sp->files[i].endpoint, endpoint) == 0)
			break;
	}
	if (i == sp->n_files)
		return 0;
	file_path(sp, &sp->files[i], path, sizeof(path));
	rc = read_file(path, &buf, &len);
	if (rc == 0)
		rc = tally_spool_parse(buf, len, out);
	free(buf);
	if (rc < 0)
		TALLY_ERR("spool", "bad spool file, removed file=%s errno=%d", path, -rc);
	unlink(path);
	remove_at(sp, i);
	return rc;
}
