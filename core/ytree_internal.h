/*
 * ytree_internal: the seam between ytree.c (reading YAML into the tree) and ytree_get.c (typed
 * accessors and messages): the writer of positioned errors that both use. Not for other
 * modules, which use ytree.h. Any thread, as ytree.h.
 */
#ifndef TALLY_CORE_YTREE_INTERNAL_H
#define TALLY_CORE_YTREE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Writes "FILE:LINE:COL: " (or "FILE: " when line is 0) and the message into err, cut to
 * err_len; does nothing when err is NULL or err_len 0. Borrows everything.
 */
__attribute__((format(printf, 6, 0))) void tally_ytree_verror(char *err, size_t err_len,
                                                              const char *file, int line, int col,
                                                              const char *fmt, va_list ap);

#endif
