/*
 * fwd_spool: the forwarder's disk spool — payloads that could not stay in memory (queue over
 * its bound, or still queued at shutdown) written to files in one directory per output, and
 * read back, oldest first, when the endpoint can send again (also after a restart).
 *
 * One file holds one or more payloads of one endpoint. Its name is
 * "<seq, 20 digits>-<endpoint>-<payload count>.spool", so a directory listing alone gives the
 * order, the endpoint and the count. The content is a "TALLY-SPOOL 1" line, then per payload
 * one header line "payload path=... content-type=... content-encoding=... items=N length=L"
 * followed by exactly L body bytes and a newline. Files are written to ".tmp-*" and renamed
 * (after fsync), so a crash never leaves a half file under a real name; leftovers are removed
 * at open. The directory is bounded in bytes: writing removes the oldest files first, and
 * reports each removal through on_evict so the caller can count what was lost. It is bounded
 * in age too: a file whose mtime is more than max_age_s old is deleted by the next sweep
 * (tally_spool_expire(), also run by every load) and reported through on_outdated.
 *
 * Main thread only (the forwarder's). Functions return 0 or -errno unless stated otherwise.
 */
#ifndef TALLY_CORE_FWD_SPOOL_H
#define TALLY_CORE_FWD_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tally_fwd_payload;

/* Age after which a spool file is discarded: the Datadog agent's
 * forwarder_outdated_file_in_days (10). */
#define TALLY_SPOOL_MAX_AGE_S (10 * 24 * 60 * 60)

struct tally_spool_file {
	uint64_t seq;
	char endpoint[32];
	unsigned count;  /* payloads inside */
	size_t bytes;    /* file size */
	int64_t mtime_s; /* when it was written (CLOCK_REALTIME seconds) */
};

struct tally_spool {
	char *dir;
	size_t max_bytes;
	int64_t max_age_s; /* files older than this are discarded; <= 0: no limit */
	size_t bytes;      /* sum of the files' sizes */
	uint64_t next_seq;
	struct tally_spool_file *files; /* oldest first */
	size_t n_files, cap_files;
	/* Told about every file removed to make room (may be NULL). */
	void (*on_evict)(void *arg, const char *endpoint, unsigned count);
	/* Told about every file removed for being older than max_age_s (may be NULL). */
	void (*on_outdated)(void *arg, const char *endpoint, unsigned count);
	void *arg;
};

/*
 * Opens (creating it and its parents, mode 0700) the spool directory dir, bounded at
 * max_bytes and max_age_s (TALLY_SPOOL_MAX_AGE_S; <= 0 for no limit), and indexes the files
 * already there. dir is copied. Returns a new spool the caller frees with tally_spool_free(),
 * or NULL with a message in err. Nothing is expired yet: set the callbacks, then call
 * tally_spool_expire() so that what is removed is counted.
 */
struct tally_spool *tally_spool_open(const char *dir, size_t max_bytes, int64_t max_age_s,
                                     char *err, size_t err_len);
/* Frees the index; the files stay on disk. Accepts NULL. */
void tally_spool_free(struct tally_spool *sp);

/*
 * Deletes every file whose mtime is more than max_age_s before now_s (CLOCK_REALTIME
 * seconds), reports each through on_outdated, and logs one line with the count when any
 * went. Returns the number of files removed.
 */
unsigned tally_spool_expire(struct tally_spool *sp, int64_t now_s);

/*
 * Writes the ->next chain list (borrowed) of endpoint's payloads as one new file, removing
 * the oldest files first while the bound would be exceeded. -EFBIG when the file alone is
 * larger than the bound (nothing is written or removed); -errno on I/O errors.
 */
int tally_spool_write(struct tally_spool *sp, const char *endpoint,
                      const struct tally_fwd_payload *list);

/* True when endpoint has at least one file waiting. */
bool tally_spool_has(const struct tally_spool *sp, const char *endpoint);
/* Bytes of endpoint's files on disk. */
size_t tally_spool_bytes(const struct tally_spool *sp, const char *endpoint);

/*
 * Expires outdated files (tally_spool_expire() at the current time), then reads endpoint's
 * oldest file into a new ->next chain at *out (caller owns; free with
 * tally_fwd_payload_free_list()) and removes the file. Returns the number of payloads read,
 * 0 when endpoint has no file, -EBADMSG for a corrupt file (removed; *out holds what could
 * be read before the damage), or -errno.
 */
int tally_spool_load(struct tally_spool *sp, const char *endpoint, struct tally_fwd_payload **out);

/* Parses the body of a spool file (pure; for load and the tests): as tally_spool_load(). */
int tally_spool_parse(const unsigned char *buf, size_t len, struct tally_fwd_payload **out);

#endif
