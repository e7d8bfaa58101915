#include "agent.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "batch.h"
#include "checks.h"
#include "clock.h"
#include "config.h"
#include "listen.h"
#include "log.h"
#include "output.h"
#include "receiver.h"
#include "selfstats.h"
#include "status.h"
#include "xmem.h"

/*
 * A receiver that an abandoned check run may still commit to (see shutdown_agent()): kept
 * reachable here rather than freed, for the few moments until the process exits.
 */
static struct tally_receiver *abandoned_receiver;

/* Idle non-counter contexts are forgotten after this long (the agent's 20 s), or 2 flushes. */
#define CONTEXT_EXPIRY_MIN_S 20

struct agent {
	const struct tally_config *cfg;
	struct event_base *base;
	struct tally_receiver *receiver;
	struct tally_output **outputs;
	size_t n_outputs;
	struct tally_selfstats stats;
	struct event *sig_term, *sig_int, *sig_hup;
	struct tally_status_src status_src;
	struct tally_status_server *status;
	struct tally_checks *checks;
	int exit_code;
};

static void
on_batch(struct tally_batch *b, void *arg)
{
	struct agent *a = arg;
	int64_t ts = b->flush_ts - (int64_t)a->cfg->flush_interval;

	/* Health series once per flush: with the last chunk of a chunked flush. */
	for (size_t i = 0; i < a->n_outputs && !b->partial; i++) {
		if (a->outputs[i]->ops->stats)
			a->outputs[i]->ops->stats(a->outputs[i], b, ts, a->cfg->flush_interval,
			                          a->cfg->hostname);
	}
	for (size_t i = 0; i < a->n_outputs; i++)
		a->outputs[i]->ops->submit(a->outputs[i], b);
	if (!b->partial)
		a->status_src.last_flush_ms = tally_mono_ms();
	tally_batch_unref(b);
}

static void
on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;

	TALLY_INFO("agent", "stopping signal=%d", (int)sig);
	a->status_src.stopping = true;
	event_base_loopbreak(a->base);
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;
	int rc = tally_log_open(a->cfg->log_file);

	if (rc < 0)
		TALLY_ERR("agent", "cannot reopen log_file=%s errno=%d", a->cfg->log_file, -rc);
	TALLY_INFO("agent", "SIGHUP: log reopened");
	if (a->checks && tally_checks_reload(a->checks) < 0)
		TALLY_WARN("agent", "SIGHUP: checks reloaded with errors (see above)");
}

static int
open_listeners(struct agent *a, int *udp_fd, int *uds_fd)
{
	const struct tally_config *cfg = a->cfg;
	char err[256];

	*udp_fd = *uds_fd = -1;
	if (cfg->dogstatsd_port > 0) {
		*udp_fd = tally_listen_udp(cfg->bind_host, cfg->dogstatsd_port,
		                           cfg->dogstatsd_so_rcvbuf, err, sizeof(err));
		if (*udp_fd < 0)
			goto fail;
		a->status_src.udp_rcvbuf_bytes = tally_listen_rcvbuf(*udp_fd);
		if (a->status_src.udp_rcvbuf_bytes < cfg->dogstatsd_so_rcvbuf)
			TALLY_WARN("listener",
			           "receive buffer smaller than asked wanted=%zu got=%zu "
			           "(raise net.core.rmem_max)",
			           cfg->dogstatsd_so_rcvbuf, a->status_src.udp_rcvbuf_bytes);
	}
	if (cfg->dogstatsd_socket && *cfg->dogstatsd_socket) {
		*uds_fd = tally_listen_unix(cfg->dogstatsd_socket, cfg->dogstatsd_so_rcvbuf, err,
		                            sizeof(err));
		if (*uds_fd < 0)
			goto fail;
	}
	return 0;
fail:
	TALLY_ERR("listener", "%s", err);
	if (*udp_fd >= 0)
		close(*udp_fd);
	*udp_fd = -1;
	return -EADDRNOTAVAIL;
}

static int
open_outputs(struct agent *a)
{
	const struct tally_config *cfg = a->cfg;
	struct tally_output_conf dd = { .type = (char *)"datadog" };
	char err[256];
	size_t n = cfg->n_outputs + (cfg->api_key ? 1 : 0);

	a->outputs = tally_xcalloc(n ? n : 1, sizeof(*a->outputs));
	for (size_t i = 0; i < n; i++) {
		const struct tally_output_conf *oc = i < cfg->n_outputs ? &cfg->outputs[i] : &dd;
		struct tally_output *o = tally_output_new(oc, cfg, a->base, err, sizeof(err));

		if (!o) {
			TALLY_ERR("output", "%s", err);
			return -EINVAL;
		}
		a->outputs[a->n_outputs++] = o;
	}
	return 0;
}

static struct tally_receiver *
make_receiver(struct agent *a, int udp_fd, int uds_fd)
{
	const struct tally_config *cfg = a->cfg;
	uint32_t ctx_expiry = 2 * cfg->flush_interval;
	char err[256];
	struct tally_receiver_opts o = {
		.udp_fd = udp_fd,
		.uds_fd = uds_fd,
		.udp_rcvbuf = a->status_src.udp_rcvbuf_bytes,
		.buffer_size = cfg->dogstatsd_buffer_size,
		.agg = {
			.interval_s = cfg->flush_interval,
			.expiry_s = cfg->dogstatsd_expiry_seconds,
			.context_expiry_s = ctx_expiry > CONTEXT_EXPIRY_MIN_S ? ctx_expiry
									  : CONTEXT_EXPIRY_MIN_S,
			.context_limit = cfg->dogstatsd_context_limit,
			.hist_aggregates = cfg->histogram_aggregates,
			.percentiles = cfg->histogram_percentiles,
			.n_percentiles = cfg->n_histogram_percentiles,
			.default_host = cfg->hostname,
			.extra_tags = (const char *const *)cfg->tags,
			.n_extra_tags = cfg->n_tags,
		},
		.host = cfg->hostname,
		.tags = (const char *const *)cfg->tags,
		.n_tags = cfg->n_tags,
		.main_base = a->base,
		.on_batch = on_batch,
		.arg = a,
		.stats = &a->stats,
		.origin_client = cfg->dogstatsd_origin_detection_client,
	};
	struct tally_receiver *r = tally_receiver_new(&o, err, sizeof(err));

	if (!r)
		TALLY_ERR("receiver", "%s", err);
	return r;
}

/*
 * SIGTERM: stop scheduling checks, flush, drain the outputs, and only then wait what is left
 * of the checks' grace time, so that a check stuck in a syscall never eats the drain's time.
 * Exits within forwarder_stop_timeout + TALLY_CHECKS_STOP_WAIT_S at most.
 */
static void
shutdown_agent(struct agent *a)
{
	int64_t checks_deadline = tally_mono_ms() + (int64_t)(TALLY_CHECKS_STOP_WAIT_S * 1000.0);
	int64_t deadline;
	size_t stuck;

	tally_checks_stop(a->checks);
	/* The receiver's last flush reaches the outputs before they drain. */
	if (a->receiver)
		tally_receiver_stop(a->receiver);
	deadline = tally_mono_ms() + (int64_t)(a->cfg->forwarder_stop_timeout * 1000);
	for (size_t i = 0; i < a->n_outputs; i++) {
		if (a->outputs[i]->ops->drain)
			a->outputs[i]->ops->drain(a->outputs[i], a->base, deadline);
	}
	a->status_src.checks_json = NULL;
	a->status_src.check_errors_json = NULL;
	a->status_src.refused_json = NULL;
	stuck = tally_checks_free_by(a->checks, checks_deadline);
	a->checks = NULL;
	/* An abandoned run may still commit to the receiver: it must outlive the process. */
	if (stuck) {
		abandoned_receiver = a->receiver;
		a->receiver = NULL;
	}
	tally_status_server_free(a->status);
	tally_receiver_free(a->receiver);
	for (size_t i = 0; i < a->n_outputs; i++)
		a->outputs[i]->ops->free(a->outputs[i]);
	free(a->outputs);
	if (a->sig_term)
		event_free(a->sig_term);
	if (a->sig_int)
		event_free(a->sig_int);
	if (a->sig_hup)
		event_free(a->sig_hup);
	event_base_free(a->base);
}

static int
add_signals(struct agent *a)
{
	a->sig_term = evsignal_new(a->base, SIGTERM, on_stop_signal, a);
	a->sig_int = evsignal_new(a->base, SIGINT, on_stop_signal, a);
	a->sig_hup = evsignal_new(a->base, SIGHUP, on_hup, a);
	if (!a->sig_term || !a->sig_int || !a->sig_hup || evsignal_add(a->sig_term, NULL) < 0 ||
	    evsignal_add(a->sig_int, NULL) < 0 || evsignal_add(a->sig_hup, NULL) < 0)
		return -ENOMEM;
	return 0;
}

/* The status API is a convenience: if its port is taken the agent still runs, and says so. */
static void
start_status(struct agent *a)
{
	const char *listen = a->cfg->status_listen;
	char err[256];

	if (!listen || !*listen || strcmp(listen, "0") == 0)
		return;
	a->status_src.cfg = a->cfg;
	a->status_src.stats = &a->stats;
	a->status_src.outputs = a->outputs;
	a->status_src.n_outputs = &a->n_outputs;
	a->status_src.started_s = (int64_t)time(NULL);
	a->status_src.checks_json = a->checks ? tally_checks_status_json_cb : NULL;
	a->status_src.check_errors_json = a->checks ? tally_checks_errors_json_cb : NULL;
	a->status_src.checks_arg = a->checks;
	a->status_src.refused_json = a->checks ? tally_checks_refused_json_cb : NULL;
	a->status_src.started_ms = tally_mono_ms();
	a->status_src.flush_interval_s = a->cfg->flush_interval;
	a->status = tally_status_server_new(a->base, listen, &a->status_src, err, sizeof(err));
	if (!a->status)
		TALLY_WARN("status", "%s; `tally status` will not work", err);
}

static void
log_ready(const struct tally_config *cfg)
{
	char udp[300] = "off";

	if (cfg->dogstatsd_port > 0)
		snprintf(udp, sizeof(udp), "%s:%d", cfg->bind_host, cfg->dogstatsd_port);
	TALLY_INFO("agent", "ready version=%s udp=%s uds=%s flush_interval=%u host=%s",
	           PACKAGE_VERSION, udp,
	           cfg->dogstatsd_socket && *cfg->dogstatsd_socket ? cfg->dogstatsd_socket : "off",
	           cfg->flush_interval, cfg->hostname);
}

int
tally_agent_run(const struct tally_config *cfg)
{
	struct agent a = { .cfg = cfg, .exit_code = 0 };
	char err[256];
	int udp_fd, uds_fd;

	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	a.base = event_base_new();
	if (!a.base) {
		TALLY_ERR("agent", "cannot create the event loop");
		return 1;
	}
	if (add_signals(&a) < 0 || open_outputs(&a) < 0 || open_listeners(&a, &udp_fd, &uds_fd) < 0)
		goto fail;
	a.receiver = make_receiver(&a, udp_fd, uds_fd);
	if (!a.receiver || tally_receiver_start(a.receiver) < 0)
		goto fail;
	a.checks = tally_checks_new(cfg, a.base, a.receiver, err, sizeof(err));
	if (!a.checks) {
		TALLY_ERR("checks", "%s", err);
		goto fail;
	}
	start_status(&a);
	log_ready(cfg);
	event_base_dispatch(a.base);
	shutdown_agent(&a);
	TALLY_INFO("agent", "stopped");
	return a.exit_code;
fail:
	shutdown_agent(&a);
	return 1;
}
