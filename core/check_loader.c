#include "check_loader.h"

#include <sys/stat.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tally/check.h>

#include "check_conf.h"
#include "log.h"
#include "xmem.h"

#define SO_SUFFIX ".so"

static int __attribute__((format(printf, 3, 4)))
refuse(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -EPERM;
}

/* Who may own a check: root or the user the agent runs as. Nobody else may write it. */
static int
check_file(const struct stat *st, char *err, size_t err_len)
{
	uid_t me = geteuid();

	if (!S_ISREG(st->st_mode))
		return refuse(err, err_len, "not a regular file");
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return refuse(err, err_len, "file is group- or world-writable (mode %04o)",
		              (unsigned)(st->st_mode & 07777));
	if (st->st_uid != 0 && st->st_uid != me)
		return refuse(err, err_len,
		              "file is owned by uid %u, neither root nor the agent's user (uid %u)",
		              (unsigned)st->st_uid, (unsigned)me);
	return 0;
}

/* "dir/NAME.so" -> NAME, copied into name; false when the file is not a "*.so". */
static bool
name_from_path(const char *path, char *name, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len <= strlen(SO_SUFFIX) || strcmp(base + len - strlen(SO_SUFFIX), SO_SUFFIX) != 0)
		return false;
	len -= strlen(SO_SUFFIX);
	if (len >= size)
		return false;
	memcpy(name, base, len);
	name[len] = '\0';
	return true;
}

/*
 * The ABI and size come first: nothing else of desc is read before both are known good. name
 * is what the descriptor must be called; NULL accepts any name.
 */
static int
check_desc(const struct tally_check_plugin *desc, const char *name, char *err, size_t err_len)
{
	char why[384];

	if (!desc)
		return refuse(err, err_len, "tally_check_entry() returned NULL");
	if (desc->abi_version != TALLY_CHECK_ABI_VERSION)
		return refuse(err, err_len,
		              "check ABI version %u, this agent speaks version %u (rebuild it "
		              "against this agent's tally/check.h)",
		              (unsigned)desc->abi_version, (unsigned)TALLY_CHECK_ABI_VERSION);
	if (desc->struct_size < TALLY_CHECK_PLUGIN_SIZE_V1)
		return refuse(err, err_len,
		              "descriptor struct_size %u is smaller than version %u's %zu bytes",
		              (unsigned)desc->struct_size, (unsigned)TALLY_CHECK_ABI_VERSION,
		              (size_t)TALLY_CHECK_PLUGIN_SIZE_V1);
	if (!desc->name || !desc->name[0])
		return refuse(err, err_len, "descriptor has no name");
	if (name && strcmp(desc->name, name) != 0)
		return refuse(err, err_len,
		              "descriptor name \"%.64s\" does not match the file name \"%s\"",
		              desc->name, name);
	if (!desc->run)
		return refuse(err, err_len, "descriptor has no run callback");
	if (desc->state_size > TALLY_CHECK_MAX_STATE)
		return refuse(err, err_len,
		              "descriptor state_size %zu is over the %u bytes allowed",
		              desc->state_size, (unsigned)TALLY_CHECK_MAX_STATE);
	if (tally_check_conf_table_check(desc, why, sizeof(why)) < 0)
		return refuse(err, err_len, "%s", why);
	return 0;
}

static struct tally_plugin *
plugin_new(const char *name, const char *path)
{
	struct tally_plugin *p = tally_xcalloc(1, sizeof(*p));

	p->name = tally_xstrdup(name);
	p->path = tally_xstrdup(path);
	p->fd = -1;
	p->refs = 1;
	return p;
}

static void
plugin_free(struct tally_plugin *p)
{
	if (p->handle)
		dlclose(p->handle);
	if (p->fd >= 0)
		close(p->fd);
	free(p->name);
	free(p->path);
	free(p);
}

/*
 * dlopen()s the file open on p->fd. Through /proc/self/fd the loaded file is the one checked;
 * glibc knows objects by name, so if that name still belongs to an object that could not be
 * unloaded, fall back to the path.
 */
static int
open_object(struct tally_plugin *p, char *err, size_t err_len)
{
	char fdpath[64];
	const char *what = p->path;
	void *stale;

	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", p->fd);
	if (access(fdpath, R_OK) == 0) {
		stale = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
		if (stale)
			dlclose(stale);
		else
			what = fdpath;
	}
	p->handle = dlopen(what, RTLD_NOW | RTLD_LOCAL);
	if (!p->handle)
		return refuse(err, err_len, "cannot load: %s", dlerror());
	return 0;
}

static int
resolve_entry(struct tally_plugin *p, char *err, size_t err_len)
{
	tally_check_entry_fn entry;
	void *sym;

	dlerror();
	sym = dlsym(p->handle, TALLY_CHECK_ENTRY_SYMBOL);
	if (!sym)
		return refuse(err, err_len, "no symbol %s (not a Tally check?)",
		              TALLY_CHECK_ENTRY_SYMBOL);
	memcpy(&entry, &sym, sizeof(entry));
	p->desc = entry();
	return check_desc(p->desc, p->name, err, err_len);
}

struct tally_plugin *
tally_plugin_load(const char *path, char *err, size_t err_len)
{
	char name[256];
	struct tally_plugin *p;
	struct stat st;

	if (!name_from_path(path, name, sizeof(name))) {
		refuse(err, err_len, "file name does not end in %s", SO_SUFFIX);
		return NULL;
	}
	p = plugin_new(name, path);
	p->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (p->fd < 0) {
		refuse(err, err_len, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (fstat(p->fd, &st) < 0) {
		refuse(err, err_len, "cannot stat: %s", strerror(errno));
		goto fail;
	}
	if (check_file(&st, err, err_len) < 0 || open_object(p, err, err_len) < 0 ||
	    resolve_entry(p, err, err_len) < 0)
		goto fail;
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->size = st.st_size;
	p->mtime = st.st_mtim;
	return p;
fail:
	plugin_free(p);
	return NULL;
}

struct tally_plugin *
tally_plugin_from_desc(const struct tally_check_plugin *desc, char *err, size_t err_len)
{
	struct tally_plugin *p;

	if (check_desc(desc, NULL, err, err_len) < 0)
		return NULL;
	p = plugin_new(desc->name, "<builtin>");
	p->desc = desc;
	return p;
}

void
tally_plugin_ref(struct tally_plugin *p)
{
	p->refs++;
}

void
tally_plugin_unref(struct tally_plugin *p)
{
	if (p && --p->refs == 0)
		plugin_free(p);
}

void
tally_plugin_list_add(struct tally_plugin_list *l, struct tally_plugin *p)
{
	l->items = tally_xgrow(l->items, &l->cap, l->n + 1, sizeof(*l->items), 8);
	l->items[l->n++] = p;
}

struct tally_plugin *
tally_plugin_list_find(const struct tally_plugin_list *l, const char *name)
{
	for (size_t i = 0; l && i < l->n; i++) {
		if (strcmp(l->items[i]->name, name) == 0)
			return l->items[i];
	}
	return NULL;
}

void
tally_plugin_list_clear(struct tally_plugin_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		tally_plugin_unref(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

/* The plugin of *old that was loaded from the file now at path, unchanged; else NULL. */
static struct tally_plugin *
find_unchanged(const struct tally_plugin_list *old, const char *name, const char *path)
{
	struct tally_plugin *p = tally_plugin_list_find(old, name);
	struct stat st;

	if (!p || !p->handle || strcmp(p->path, path) != 0 || stat(path, &st) < 0)
		return NULL;
	if (st.st_dev != p->dev || st.st_ino != p->ino || st.st_size != p->size ||
	    st.st_mtim.tv_sec != p->mtime.tv_sec || st.st_mtim.tv_nsec != p->mtime.tv_nsec)
		return NULL;
	return p;
}

/*
 * A file overwritten in place (same inode, e.g. by cp) while loaded gives back the object
 * already mapped: keep using the old plugin rather than pretend it was reloaded.
 */
static struct tally_plugin *
keep_old_if_same_object(const struct tally_plugin_list *old, struct tally_plugin *p)
{
	struct tally_plugin *prev = tally_plugin_list_find(old, p->name);

	if (!prev || prev->handle != p->handle)
		return p;
	TALLY_WARN("checks",
	           "check plugin file changed in place while loaded; keeping the loaded "
	           "one (install new versions with install(1) or mv) path=%s",
	           p->path);
	tally_plugin_unref(p);
	tally_plugin_ref(prev);
	return prev;
}

/* Loads (or reuses) dir/file into out; false when it was refused. */
/* Where refusals go: the log, or a caller's callback (configcheck, the status page). */
struct scan_report {
	tally_plugin_refused_fn fn;
	void *arg;
};

static void
report_refusal(const struct scan_report *rep, const char *path, const char *why)
{
	if (rep && rep->fn)
		rep->fn(rep->arg, path, why);
	else
		TALLY_ERR("checks", "refusing check plugin: %s path=%s", why, path);
}

static bool
scan_one(const char *dir, const char *file, const char *only_name,
         const struct tally_plugin_list *old, struct tally_plugin_list *out,
         const struct scan_report *rep)
{
	char name[256], path[4096], err[512];
	struct tally_plugin *p;

	if (!name_from_path(file, name, sizeof(name)) || (only_name && strcmp(name, only_name)))
		return true;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path)) {
		report_refusal(rep, dir, "path too long");
		return false;
	}
	if (tally_plugin_list_find(out, name)) {
		TALLY_WARN("checks",
		           "skipping check plugin: an earlier checksd_path folder has "
		           "one named %s path=%s",
		           name, path);
		return true;
	}
	p = find_unchanged(old, name, path);
	if (p) {
		tally_plugin_ref(p);
	} else if (!(p = tally_plugin_load(path, err, sizeof(err)))) {
		report_refusal(rep, path, err);
		return false;
	} else {
		p = keep_old_if_same_object(old, p);
		TALLY_DEBUG("checks", "loaded check plugin name=%s version=%s path=%s", p->name,
		            p->desc->version ? p->desc->version : "", path);
	}
	tally_plugin_list_add(out, p);
	return true;
}

size_t
tally_plugin_scan_report(const char *const *dirs, size_t n_dirs, const char *only_name,
                         const struct tally_plugin_list *old, struct tally_plugin_list *out,
                         tally_plugin_refused_fn refused_fn, void *arg)
{
	struct scan_report rep = { refused_fn, arg };
	size_t refused = 0;

	for (size_t d = 0; d < n_dirs; d++) {
		struct dirent **ents = NULL;
		int n = scandir(dirs[d], &ents, NULL, alphasort);

		if (n < 0) {
			TALLY_DEBUG("checks", "cannot read checksd_path folder path=%s errno=%d",
			            dirs[d], errno);
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (!scan_one(dirs[d], ents[i]->d_name, only_name, old, out, &rep))
				refused++;
			free(ents[i]);
		}
		free(ents);
	}
	return refused;
}

size_t
tally_plugin_scan(const char *const *dirs, size_t n_dirs, const char *only_name,
                  const struct tally_plugin_list *old, struct tally_plugin_list *out)
{
	return tally_plugin_scan_report(dirs, n_dirs, only_name, old, out, NULL, NULL);
}
