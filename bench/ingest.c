/*
 * ingest: the receiver's per-datagram work (parse, key, aggregate) without the socket, in a loop
 * over prepared datagrams, so that changes to the hot path can be compared in nanoseconds per
 * metric on one machine. Not a test: run by hand (bench/README.md).
 *
 * usage: bench/ingest [--cardinality C] [--tag-cardinality T] [--tags a:b,c:d] [--type c]
 *                     [--datagram-bytes B] [--metrics N]
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
#include "xmem.h"

struct opts {
	uint64_t cardinality, tag_cardinality, metrics;
	size_t datagram_bytes;
	const char *tags, *type;
};

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One datagram of whole lines, starting at line number *i, as bench/loadgen writes them. */
static size_t
fill_datagram(const struct opts *o, uint64_t *i, char *buf, size_t *lines)
{
	size_t len = 0;
	char line[512];

	*lines = 0;
	for (;;) {
		int n = snprintf(line, sizeof(line), "bench.m%" PRIu64 ":1|%s", *i % o->cardinality,
		                 o->type);

		if (o->tags || o->tag_cardinality > 1)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "|#%s%s",
			              o->tags ? o->tags : "",
			              o->tags && o->tag_cardinality > 1 ? "," : "");
		if (o->tag_cardinality > 1)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "k:%" PRIu64,
			              (*i / o->cardinality) % o->tag_cardinality);
		line[n++] = '\n';
		if (len + (size_t)n > o->datagram_bytes && len)
			return len;
		memcpy(buf + len, line, (size_t)n);
		len += (size_t)n;
		++*i;
		++*lines;
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cardinality", required_argument, NULL, 'C' },
		{ "tag-cardinality", required_argument, NULL, 'T' },
		{ "tags", required_argument, NULL, 't' },
		{ "type", required_argument, NULL, 'y' },
		{ "datagram-bytes", required_argument, NULL, 'B' },
		{ "metrics", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 1000, 10, 50000000, 8000, "env:bench,svc:blast", "c" };
	struct tally_agg_opts ao = { .interval_s = 10,
		                     .expiry_s = 300,
		                     .context_expiry_s = 300,
		                     .context_limit = 1000000,
		                     .default_host = "bench" };
	struct tally_rx_counters counters = { 0 };
	struct tally_rx_ctx ctx = { .counters = &counters, .default_host = "bench" };
	size_t n_dgrams, total_lines = 0, max_lines;
	uint64_t line_no = 0, done = 0;
	char **dgrams, *work;
	size_t *lens, *nlines;
	struct tally_batch *flushed;
	double t0, t1, tf;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			o.cardinality = strtoull(optarg, NULL, 10);
			break;
		case 'T':
			o.tag_cardinality = strtoull(optarg, NULL, 10);
			break;
		case 't':
			o.tags = *optarg ? optarg : NULL;
			break;
		case 'y':
			o.type = optarg;
			break;
		case 'B':
			o.datagram_bytes = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			o.metrics = strtoull(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "see the usage at the top of bench/ingest.c\n");
			return 2;
		}
	}
	if (!o.cardinality || !o.tag_cardinality || o.datagram_bytes < 64) {
		fprintf(stderr, "ingest: bad options\n");
		return 2;
	}
	/* Enough datagrams to cycle through every context once. */
	max_lines = o.cardinality * o.tag_cardinality;
	n_dgrams = max_lines / 8 + 2;
	dgrams = tally_xcalloc(n_dgrams, sizeof(*dgrams));
	lens = tally_xcalloc(n_dgrams, sizeof(*lens));
	nlines = tally_xcalloc(n_dgrams, sizeof(*nlines));
	for (size_t d = 0; d < n_dgrams; d++) {
		dgrams[d] = tally_xmalloc(o.datagram_bytes);
		lens[d] = fill_datagram(&o, &line_no, dgrams[d], &nlines[d]);
		total_lines += nlines[d];
		if (line_no >= max_lines) {
			n_dgrams = d + 1;
			break;
		}
	}
	work = tally_xmalloc(o.datagram_bytes);
	ctx.parser = tally_parser_new(8192);
	ctx.agg = tally_agg_new(&ao);
	ctx.pending = tally_batch_new(0);
	ctx.tag_scratch = tally_xcalloc(8192, sizeof(*ctx.tag_scratch));
	ctx.now_s = 1;
	t0 = now_ns();
	for (size_t d = 0; done < o.metrics; d = (d + 1) % n_dgrams) {
		/* The receiver parses in place over a fresh copy from the kernel; so does this. */
		memcpy(work, dgrams[d], lens[d]);
		tally_rx_process(&ctx, TALLY_LISTENER_UDP, work, lens[d], false);
		done += nlines[d];
	}
	t1 = now_ns();
	/* The flush the receiver thread does every interval, while the sockets wait. */
	flushed = tally_batch_new(10);
	tf = now_ns();
	tally_agg_flush(ctx.agg, 0, 10, flushed);
	tf = now_ns() - tf;
	printf("{\"metrics\":%" PRIu64 ",\"datagrams\":%zu,\"lines_per_datagram\":%.1f,"
	       "\"contexts\":%zu,\"ns_per_metric\":%.2f,\"accepted\":%" PRIu64
	       ",\"flush_ms\":%.2f}\n",
	       done, n_dgrams, (double)total_lines / (double)n_dgrams,
	       (size_t)(o.cardinality * o.tag_cardinality), (t1 - t0) / (double)done,
	       counters.metrics, tf / 1e6);
	tally_batch_unref(flushed);
	tally_batch_unref(ctx.pending);
	tally_agg_free(ctx.agg);
	tally_parser_free(ctx.parser);
	free(ctx.tag_scratch);
	free(work);
	for (size_t d = 0; d < n_dgrams; d++)
		free(dgrams[d]);
	free(dgrams);
	free(lens);
	free(nlines);
	return 0;
}
