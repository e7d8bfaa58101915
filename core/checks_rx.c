/* checks_rx: the checks of a running agent commit their runs to the receiver thread. */
#include "check_commit.h"
#include "checks.h"
#include "receiver.h"

/* On a check worker: queue the run for the aggregator's thread. */
static void
commit_to_receiver(struct tally_check_run *run, void *arg)
{
	tally_receiver_run_on(arg, tally_check_commit_apply, run);
}

struct tally_checks *
tally_checks_new(const struct tally_config *cfg, struct event_base *base, struct tally_receiver *rx,
                 char *err, size_t err_len)
{
	return tally_checks_new_with(cfg, base, commit_to_receiver, rx, false, err, err_len);
}
