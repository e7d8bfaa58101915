/*
 * ytree: a small YAML document tree on top of libyaml, for the main config and conf.d files.
 *
 * Every node and every map key keeps the 1-based line:column where it starts, so that whoever
 * reads the tree can report "FILE:LINE:COL: message" for a wrong value long after parsing.
 * The typed accessors below do exactly that.
 *
 * Deliberately small and defensive, because config files come from users and (conf.d) from
 * tools: one document per stream, no anchors or aliases (refused with a positioned error, which
 * also rules out "billion laughs"), at most TALLY_YTREE_MAX_DEPTH levels of nesting,
 * TALLY_YTREE_MAX_NODES nodes and TALLY_YTREE_MAX_BYTES of input, duplicate map keys refused.
 * An empty document (or one with only comments) gives a null root, not an error.
 *
 * Scalars are kept as text; plain `~`, `null` (any of null/Null/NULL) and the empty plain
 * scalar become TALLY_YNODE_NULL. Typing happens in the accessors, which accept a quoted
 * scalar as well (`port: "8125"`), as the Datadog agent does; `quoted` is there for callers that
 * want to be stricter.
 *
 * No global state: any thread may load and read its own documents; a loaded tree is never
 * modified, so it may be read from several threads at once.
 */
#ifndef TALLY_CORE_YTREE_H
#define TALLY_CORE_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TALLY_YTREE_MAX_BYTES (4u << 20)
#define TALLY_YTREE_MAX_DEPTH 64
#define TALLY_YTREE_MAX_NODES 262144

enum tally_ynode_kind {
	TALLY_YNODE_NULL,
	TALLY_YNODE_SCALAR,
	TALLY_YNODE_SEQ,
	TALLY_YNODE_MAP,
};

struct tally_ynode;

/* One entry of a map, in document order. The key is always a TALLY_YNODE_SCALAR. */
struct tally_ypair {
	struct tally_ynode *key;
	struct tally_ynode *value;
};

struct tally_ynode {
	enum tally_ynode_kind kind;
	int line, col;    /* 1-based start; 0 for nodes made by tally_ydoc_from_text() */
	const char *file; /* the document's name, shared by all its nodes */
	char *text;       /* scalar and null: the text as written, NUL-terminated; else NULL */
	size_t len;       /* bytes of text (a quoted scalar may hold "\0", see accessors) */
	bool quoted;      /* quoted or block scalar, or tagged !!str: never null */
	size_t n;         /* items of a sequence, pairs of a map */
	struct tally_ynode **items;
	struct tally_ypair *pairs;
};

struct tally_ydoc {
	char *name;               /* file name or the name given to the loader */
	struct tally_ynode *root; /* never NULL */
};

/*
 * Reads and parses path (at most TALLY_YTREE_MAX_BYTES). Returns a document the caller frees
 * with tally_ydoc_free(), or NULL with "FILE:LINE:COL: message" (or "FILE: message") in err.
 */
struct tally_ydoc *tally_ydoc_load_file(const char *path, char *err, size_t err_len);
/* Same for len bytes of text (borrowed); name (copied) stands for the file in messages. */
struct tally_ydoc *tally_ydoc_load_string(const char *name, const char *text, size_t len, char *err,
                                          size_t err_len);
/*
 * Builds a document from a string that is not YAML, such as an environment variable, so that
 * the same accessors (and messages, "NAME: ...") apply to it: with seps NULL the root is one
 * plain scalar holding text; otherwise a sequence of the non-empty pieces of text split at any
 * byte of seps. Nodes have line and col 0. Never fails; the caller frees the result.
 */
struct tally_ydoc *tally_ydoc_from_text(const char *name, const char *text, const char *seps);
/* Accepts NULL. */
void tally_ydoc_free(struct tally_ydoc *doc);

/* The value for key in map (borrowed), or NULL when absent or when map is not a map. */
const struct tally_ynode *tally_ynode_map_get(const struct tally_ynode *map, const char *key);
/*
 * What n holds, for "got ..." in messages: a scalar in double quotes, cut to fit size (at least
 * 16) with "..." and with control bytes, quotes and backslashes as \xNN; else "null",
 * "a sequence" or "a map".
 */
void tally_ynode_describe(const struct tally_ynode *n, char *buf, size_t size);
/* "null", "scalar", "sequence" or "map". */
const char *tally_ynode_kind_name(enum tally_ynode_kind kind);

/*
 * Writes "FILE:LINE:COL: " (or "FILE: " for a node without position) and the formatted message
 * into err. Returns -EINVAL, so that callers can `return tally_ynode_error(...)`.
 */
int tally_ynode_error(const struct tally_ynode *at, char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Typed accessors. what names the value in messages ("dogstatsd_port", "outputs[1].url"); NULL
 * leaves it out. They return 0 and set *out, or -EINVAL (wrong type or syntax) / -ERANGE with
 * "FILE:LINE:COL: what: expected ..., got ..." in err and *out unchanged. A null node is an
 * error for all but tally_ynode_strlist(); callers that treat null as "default" check first.
 */

/* A scalar (of any look: 8125 is "8125") without NUL bytes; *out is borrowed from the tree. */
int tally_ynode_str(const struct tally_ynode *n, const char *what, const char **out, char *err,
                    size_t err_len);
/* true/false, yes/no, on/off, 1/0, any case. */
int tally_ynode_bool(const struct tally_ynode *n, const char *what, bool *out, char *err,
                     size_t err_len);
/* A decimal integer (optional sign) within min..max. */
int tally_ynode_int64(const struct tally_ynode *n, const char *what, int64_t min, int64_t max,
                      int64_t *out, char *err, size_t err_len);
/* A finite number within min..max. */
int tally_ynode_double(const struct tally_ynode *n, const char *what, double min, double max,
                       double *out, char *err, size_t err_len);
/*
 * A size in bytes within min..max: a whole number with an optional unit, with or without a
 * space: B; KiB, MiB, GiB, TiB and k, m, g, t (powers of 1024); KB, MB, GB, TB (powers of
 * 1000). Units are case-insensitive, so "8mb" is 8000000 and "8m" is 8388608.
 */
int tally_ynode_size(const struct tally_ynode *n, const char *what, uint64_t min, uint64_t max,
                     uint64_t *out, char *err, size_t err_len);
/*
 * A list of strings: a sequence of scalars, or one scalar, which is split at any byte of seps
 * (seps NULL: one element). Null is the empty list. Empty pieces are dropped. On success the
 * caller owns *out (and each string) and frees it with tally_ystrlist_free(); *n_out may be 0
 * with *out non-NULL.
 */
int tally_ynode_strlist(const struct tally_ynode *n, const char *what, const char *seps,
                        char ***out, size_t *n_out, char *err, size_t err_len);
/* Frees a list from tally_ynode_strlist(); accepts NULL. */
void tally_ystrlist_free(char **list, size_t n);

#endif
