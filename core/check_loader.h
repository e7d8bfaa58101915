/*
 * check_loader: finds check plugins (NAME.so) in the checksd_path folders and loads them.
 *
 * A file is opened once and checked on that descriptor (regular file, not group- or
 * world-writable, owned by root or by the agent's effective user), then loaded through
 * /proc/self/fd/N with dlopen(RTLD_NOW | RTLD_LOCAL), so the file checked is the file loaded.
 * Only the exported tally_check_entry() is looked up; the descriptor's ABI version and
 * struct size are checked before any other field is read, then that its name matches the
 * file and its config table is sound. Every refusal is one log line: "refusing check plugin:
 * REASON path=PATH".
 *
 * Plugins are reference counted: each running instance holds one, and the shared object is
 * closed when the last goes away. Not thread-safe: main thread only (or the one thread of
 * `tally check`); tally_plugin_ref/unref may be called from any one thread at a time.
 */
#ifndef TALLY_CORE_CHECK_LOADER_H
#define TALLY_CORE_CHECK_LOADER_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct tally_check_plugin;

struct tally_plugin {
	char *name; /* the file name without ".so"; equals desc->name */
	char *path; /* the file it came from; "<builtin>" for tally_plugin_from_desc() */
	const struct tally_check_plugin *desc; /* valid while the plugin is referenced */
	void *handle;                          /* from dlopen; NULL for a built-in */
	int fd;                                /* the file, open while loaded; -1 for a built-in */
	dev_t dev;                             /* identity of the loaded file, for reloads */
	ino_t ino;
	off_t size;
	struct timespec mtime;
	unsigned refs;
};

/* A growable list of plugin pointers; each entry holds one reference. */
struct tally_plugin_list {
	struct tally_plugin **items;
	size_t n, cap;
};

/*
 * Loads one file. Returns a plugin holding one reference (drop it with tally_plugin_unref()),
 * or NULL with the reason, one line, in err. Logs nothing.
 */
struct tally_plugin *tally_plugin_load(const char *path, char *err, size_t err_len);
/*
 * Wraps a descriptor linked into the agent (built-in checks, tests); checked like a file's.
 * Borrows desc, which must outlive the plugin. NULL with the reason in err.
 */
struct tally_plugin *tally_plugin_from_desc(const struct tally_check_plugin *desc, char *err,
                                            size_t err_len);
void tally_plugin_ref(struct tally_plugin *p);
/* Drops one reference; at zero closes the shared object and frees p. Accepts NULL. */
void tally_plugin_unref(struct tally_plugin *p);

/*
 * Scans each folder of dirs (in order) for "*.so" files and appends a plugin per file to
 * *out. A file that is still the one a plugin in *old was loaded from (same device, inode,
 * size and mtime) reuses that plugin (one more reference) instead of being loaded again.
 * Names seen in an earlier folder win: a later file with the same name is skipped with a
 * warning. With only_name set, only ONLY_NAME.so files are considered. Refused files are
 * logged (one line each) and skipped; a missing folder is logged at debug level. Returns
 * the number of refused files. Borrows dirs and old.
 */
size_t tally_plugin_scan(const char *const *dirs, size_t n_dirs, const char *only_name,
                         const struct tally_plugin_list *old, struct tally_plugin_list *out);

/* A refused file and why ("check ABI version 2, this agent speaks version 1 ..."). */
typedef void (*tally_plugin_refused_fn)(void *arg, const char *path, const char *reason);
/* tally_plugin_scan(), with each refusal handed to refused_fn(arg, ...) instead of the log. */
size_t tally_plugin_scan_report(const char *const *dirs, size_t n_dirs, const char *only_name,
                                const struct tally_plugin_list *old, struct tally_plugin_list *out,
                                tally_plugin_refused_fn refused_fn, void *arg);

/* Appends p (taking over the caller's reference). */
void tally_plugin_list_add(struct tally_plugin_list *l, struct tally_plugin *p);
/* The plugin called name, borrowed, or NULL. */
struct tally_plugin *tally_plugin_list_find(const struct tally_plugin_list *l, const char *name);
/* Drops every entry's reference and empties the list. */
void tally_plugin_list_clear(struct tally_plugin_list *l);

#endif
