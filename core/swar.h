/*
 * swar: byte tests on the eight bytes of a 64-bit word at once, for the parser's scanner and
 * the context index's control bytes.
 */
#ifndef TALLY_CORE_SWAR_H
#define TALLY_CORE_SWAR_H

#include <stdint.h>

#define TALLY_SWAR_BYTES_01 0x0101010101010101ULL
#define TALLY_SWAR_BYTES_7F 0x7f7f7f7f7f7f7f7fULL

/* c in every byte of a word. */
static inline uint64_t
tally_swar_repeat(unsigned char c)
{
	return TALLY_SWAR_BYTES_01 * c;
}

/* High bit set in exactly the zero bytes of x (no borrow between bytes, so no false hits). */
static inline uint64_t
tally_swar_zero_bytes(uint64_t x)
{
	return ~(((x & TALLY_SWAR_BYTES_7F) + TALLY_SWAR_BYTES_7F) | x | TALLY_SWAR_BYTES_7F);
}

#endif
