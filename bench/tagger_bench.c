/*
 * tagger_bench: what container tags cost on the receive path. The same prepared 8000-byte
 * datagrams as bench/ingest (bench.m<i>:1|c|#env:bench,svc:blast,k:<j>, 10,000 contexts) go
 * through tally_rx_process four ways, alternated in rounds so that all see the same machine:
 *   plain          no origin (UDP)
 *   origin         a Unix-socket sender's container_id: tag, no tagger (before issue 10)
 *   origin_lookup  origin, and a tagger lookup that finds nothing (a container the docker
 *                  check does not know): the same series as origin, so the ratio is the lookup
 *   inline         no origin; each line carries container_id and the 6 container tags itself
 *   tagged         origin + the 6 tags the docker check published for that container, looked
 *                  up once per datagram in the receiver thread's tagger view: the same series
 *                  as inline, so tagged / inline is what the tagger costs
 *   client_inline  inline, plus a |c:ci-<id> field that is not honoured
 *   client         dogstatsd_origin_detection_client: each line names its container with
 *                  |c:ci-<id>, looked up per line: the same series as client_inline
 * Prints ns per metric for each, and the ratio to the mode giving the same series. Run by hand:
 *   bench/tagger_bench [--metrics N] [--rounds R]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "batch.h"
#include "parse.h"
#include "rx_process.h"
#include "tagger.h"
#include "xmem.h"

#define ID       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define N_DGRAMS 1300 /* enough 8000-byte datagrams for 10,000 contexts, cycled */

enum mode { PLAIN, ORIGIN, ORIGIN_LOOKUP, INLINE, TAGGED, CLIENT_INLINE, CLIENT, N_MODES };
static const char *const mode_names[] = { "plain",  "origin",        "origin_lookup", "inline",
	                                  "tagged", "client_inline", "client" };
/* what a mode's series should look like; compared against */
static const enum mode baseline[] = { PLAIN, PLAIN, ORIGIN, PLAIN, INLINE, PLAIN, CLIENT_INLINE };
/* The tags the docker check publishes for the container, as a client would send them. */
#define TAGS_INLINE                                                                                \
	",container_id:" ID ",container_name:web,docker_image:local/web:1,image_name:local/web,"   \
	"image_tag:1,short_image:web,team:core"

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static size_t
fill(char *buf, size_t cap, uint64_t *i, enum mode m, size_t *lines)
{
	size_t len = 0;
	char line[512];

	*lines = 0;
	for (;;) {
		bool inl = m == INLINE || m == CLIENT_INLINE,
		     field = m == CLIENT || m == CLIENT_INLINE;
		int n = snprintf(line, sizeof(line),
		                 "bench.m%" PRIu64 ":1|c|#env:bench,svc:blast,k:%" PRIu64 "%s%s\n",
		                 *i % 1000, (*i / 1000) % 10, inl ? TAGS_INLINE : "",
		                 field ? "|c:ci-" ID : "");

		if (len + (size_t)n > cap)
			return len;
		memcpy(buf + len, line, (size_t)n);
		len += (size_t)n;
		++*i;
		++*lines;
	}
}

static const struct tally_slice *
lookup(void *arg, const char *id, size_t len, int64_t now_s, size_t *n)
{
	return tally_tagger_view_container(arg, id, len, now_s, n);
}

struct run {
	struct tally_rx_ctx ctx;
	struct tally_rx_counters counters;
	char *dgrams[N_DGRAMS];
	size_t lens[N_DGRAMS], lines[N_DGRAMS];
	double ns;
	uint64_t metrics;
};

static void
run_init(struct run *r, enum mode m, struct tally_tagger_view *view)
{
	struct tally_agg_opts ao = { .interval_s = 10,
		                     .expiry_s = 300,
		                     .context_expiry_s = 300,
		                     .context_limit = 1000000,
		                     .default_host = "bench" };
	uint64_t i = 0;

	memset(r, 0, sizeof(*r));
	r->ctx.counters = &r->counters;
	r->ctx.default_host = "bench";
	r->ctx.parser = tally_parser_new(8192);
	r->ctx.agg = tally_agg_new(&ao);
	r->ctx.pending = tally_batch_new(0);
	r->ctx.tag_scratch = tally_xcalloc(8192 + TALLY_RX_ENTITY_TAGS, sizeof(struct tally_slice));
	r->ctx.now_s = 1;
	if (m == TAGGED || m == CLIENT || m == ORIGIN_LOOKUP) {
		r->ctx.entity_lookup = lookup;
		r->ctx.entity_arg = view;
	}
	r->ctx.origin_client = m == CLIENT;
	for (size_t d = 0; d < N_DGRAMS; d++) {
		r->dgrams[d] = tally_xmalloc(8000);
		r->lens[d] = fill(r->dgrams[d], 8000, &i, m, &r->lines[d]);
	}
}

static void
run_some(struct run *r, enum mode m, uint64_t metrics, char *work)
{
	double t0 = now_ns();
	uint64_t done = 0;

	for (size_t d = 0; done < metrics; d = (d + 1) % N_DGRAMS) {
		memcpy(work, r->dgrams[d], r->lens[d]);
		if (m == ORIGIN || m == TAGGED)
			tally_rx_set_origin(&r->ctx, "container_id:" ID);
		else if (m == ORIGIN_LOOKUP) /* a container the tagger has no tags for */
			tally_rx_set_origin(&r->ctx, "container_id:ffff" ID);
		tally_rx_process(&r->ctx, TALLY_LISTENER_UDS, work, r->lens[d], false);
		tally_rx_set_origin(&r->ctx, NULL);
		done += r->lines[d];
	}
	r->ns += now_ns() - t0;
	r->metrics += done;
}

static void
run_fini(struct run *r)
{
	tally_batch_unref(r->ctx.pending);
	tally_agg_free(r->ctx.agg);
	tally_parser_free(r->ctx.parser);
	free(r->ctx.tag_scratch);
	for (size_t d = 0; d < N_DGRAMS; d++)
		free(r->dgrams[d]);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "metrics", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tags[] = { "container_name:web",   "docker_image:local/web:1",
		               "image_name:local/web", "image_tag:1",
		               "short_image:web",      "team:core" };
	uint64_t metrics = 20000000, rounds = 5;
	struct tally_tagger_view *view = tally_tagger_view_new();
	static struct run runs[N_MODES];
	char *work = tally_xmalloc(8000);
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'n')
			metrics = strtoull(optarg, NULL, 10);
		else if (c == 'r')
			rounds = strtoull(optarg, NULL, 10);
		else
			return 2;
	}
	tally_tagger_publish("container_id://" ID, tags, 6, 3600, 1);
	for (int m = 0; m < N_MODES; m++)
		run_init(&runs[m], (enum mode)m, view);
	for (uint64_t k = 0; k < rounds; k++)
		for (int m = 0; m < N_MODES; m++)
			run_some(&runs[m], (enum mode)m, metrics / rounds, work);
	for (int m = 0; m < N_MODES; m++) {
		double ns = runs[m].ns / (double)runs[m].metrics;

		enum mode b = baseline[m];

		printf("{\"mode\":\"%s\",\"ns_per_metric\":%.2f,\"vs_plain\":%.3f,\"vs\":\"%s\","
		       "\"ratio\":%.3f}\n",
		       mode_names[m], ns, ns / (runs[PLAIN].ns / (double)runs[PLAIN].metrics),
		       mode_names[b], ns / (runs[b].ns / (double)runs[b].metrics));
		run_fini(&runs[m]);
	}
	tally_tagger_view_free(view);
	free(work);
	return 0;
}
