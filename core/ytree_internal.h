/*
 * ytree_internal: the seam between ytree.c (reading YAML into the tree, building nodes),
 * ytree_text.c (documents from files and plain text) and ytree_get.c (typed accessors and
 * messages): node constructors and the writers of positioned errors that they share. Not for
 * other modules, which use ytree.h. Any thread, as ytree.h.
 */
#ifndef TALLY_CORE_YTREE_INTERNAL_H
#define TALLY_CORE_YTREE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "ytree.h"

/*
 * Writes "FILE:LINE:COL: " (or "FILE: " when line is 0) and the message into err, cut to
 * err_len; does nothing when err is NULL or err_len 0. Borrows everything (ytree_get.c).
 */
__attribute__((format(printf, 6, 0))) void tally_ytree_verror(char *err, size_t err_len,
                                                              const char *file, int line, int col,
                                                              const char *fmt, va_list ap);

/* tally_ytree_verror for an error about the whole file, "FILE: message" (ytree.c). */
__attribute__((format(printf, 4, 5))) void
tally_ytree_file_error(char *err, size_t err_len, const char *file, const char *fmt, ...);

/* An empty document named name ("<string>" if NULL, copied); free with tally_ydoc_free. */
struct tally_ydoc *tally_ytree_doc_new(const char *name);

/*
 * A node of kind at line:col (1-based, 0 for none) of doc, whose name it borrows; owned by the
 * caller until attached to the tree, which then frees it with the document.
 */
struct tally_ynode *tally_ytree_node_new(const struct tally_ydoc *doc, enum tally_ynode_kind kind,
                                         int line, int col);

/* A scalar of doc holding a NUL-terminated copy of text's len bytes, at position 0:0. */
struct tally_ynode *tally_ytree_scalar_new(const struct tally_ydoc *doc, const char *text,
                                           size_t len);

/*
 * Makes room for one more element in the array at *v (v is the address of the array pointer),
 * which holds n elements of size bytes in room for *cap; doubles *cap when full.
 */
void tally_ytree_grow(void *v, size_t n, size_t *cap, size_t size);

#endif
