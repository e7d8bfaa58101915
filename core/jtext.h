/*
 * jtext: JSON text written straight into a growing buffer, for payloads of millions of items
 * where building a json-c object per item costs more memory and time than the text itself.
 *
 * Output is what json-c writes with JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE:
 * no spaces; in strings `"` `\` and the control characters escaped (\b \f \n \r \t, the others
 * as \u00XX), `/` and bytes from 0x7f kept. Strings are made valid UTF-8 on the way: an intake
 * rejects a whole payload for one bad byte, so invalid bytes become U+FFFD, as Go's encoder
 * does for the Datadog agent. Reentrant; any thread.
 */
#ifndef TALLY_CORE_JTEXT_H
#define TALLY_CORE_JTEXT_H

#include <stddef.h>
#include <stdint.h>

struct tally_jtext {
	char *buf; /* not NUL-terminated; owned, free() it */
	size_t len, cap;
};

/* Appends n bytes as they are. */
void tally_jtext_raw(struct tally_jtext *j, const char *s, size_t n);
/* Appends a string literal as it is. */
#define tally_jtext_lit(j, lit) tally_jtext_raw((j), (lit), sizeof(lit) - 1)
/* Appends s (NULL: "") as a JSON string. */
void tally_jtext_str(struct tally_jtext *j, const char *s);
void tally_jtext_i64(struct tally_jtext *j, int64_t v);
/* Appends ["s0","s1",...]. */
void tally_jtext_strs(struct tally_jtext *j, const char *const *s, size_t n);

#endif
