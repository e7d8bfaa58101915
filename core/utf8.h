/*
 * utf8: the one check of a UTF-8 sequence that every output which must send valid UTF-8 uses
 * (JSON for the Datadog intake, Prometheus label values): a bad byte is replaced, never sent.
 */
#ifndef TALLY_CORE_UTF8_H
#define TALLY_CORE_UTF8_H

#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence at s, with left bytes available (at least 1), or 0 when
 * the bytes there are not one: overlong forms, surrogates and code points above U+10FFFF are
 * invalid.
 */
static inline size_t
tally_utf8_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return n;
}

#endif
