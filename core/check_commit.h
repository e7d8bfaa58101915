/*
 * check_commit: hands a finished check run to the aggregator. The run's metrics become
 * samples (gauge -> GAUGE, count -> COUNT, rate -> GAUGE of the per-second value,
 * monotonic_count -> COUNT of the positive delta, histogram -> HISTOGRAM; a rate or
 * monotonic_count without a value yet adds nothing) and its service checks and events go into
 * the pending batch of the next flush.
 *
 * tally_check_commit_apply() runs on the thread that owns the aggregator: the agent queues it
 * with tally_receiver_run_on() (checks_rx.c), the only way to touch the aggregator.
 */
#ifndef TALLY_CORE_CHECK_COMMIT_H
#define TALLY_CORE_CHECK_COMMIT_H

#include <stdint.h>

struct tally_agg;
struct tally_batch;
struct tally_check_run;

/*
 * Adds run to agg and pending (a tally_receiver_job_fn: the receiver thread, or whoever owns
 * agg). Takes ownership of run (a struct tally_check_run *) and frees it.
 */
void tally_check_commit_apply(struct tally_agg *agg, struct tally_batch *pending, int64_t now_s,
                              void *run);

#endif
