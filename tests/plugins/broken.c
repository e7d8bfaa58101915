/*
 * Deliberately broken check plugins for the loader tests. One source, built several times
 * with a different -DBROKEN_* each, into a .so named for what is wrong with it.
 */
#include <stddef.h>

#include <tally/check.h>

#if defined(BROKEN_NO_SYMBOL)
/* Exports something, but not tally_check_entry. */
__attribute__((visibility("default"))) int not_a_check(void);
__attribute__((visibility("default"))) int
not_a_check(void)
{
	return 42;
}
#else

static int
broken_run(void *state, const struct tally_check_ops *ops, struct tally_check_ctx *ctx)
{
	return 0;
}

struct broken_state {
	int64_t n;
};

static const struct tally_check_conf broken_conf[] = {
	/* bad_table: a field that does not fit the state */
	{ .key = "n",
	  .type = TALLY_CONF_INT,
#if defined(BROKEN_TABLE)
	  .offset = 4096,
#else
	  .offset = offsetof(struct broken_state, n),
#endif
	  .doc = "a number" },
	{ 0 },
};

static const struct tally_check_plugin broken_check = {
#if defined(BROKEN_ABI)
	.abi_version = 999,
#else
	.abi_version = TALLY_CHECK_ABI_VERSION,
#endif
#if defined(BROKEN_SIZE)
	.struct_size = 8,
#else
	.struct_size = sizeof(struct tally_check_plugin),
#endif
	.name = BROKEN_NAME,
	.version = "0.0.1",
	.state_size = sizeof(struct broken_state),
	.conf = broken_conf,
	.run = broken_run,
};

TALLY_CHECK_DEFINE(broken_check)
#endif
