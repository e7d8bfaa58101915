/*
 * config_print.c: tally_config_print(), the resolved configuration as YAML with api_key masked.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

/* A YAML double-quoted string; NULL prints as null. */
static void
print_str(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void
print_key_str(FILE *out, const char *key, const char *s)
{
	fprintf(out, "%s: ", key);
	print_str(out, s);
	fputc('\n', out);
}

static void
print_list(FILE *out, const char *key, char *const *v, size_t n)
{
	fprintf(out, "%s: [", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		print_str(out, v[i]);
	}
	fputs("]\n", out);
}

static void
print_histograms(const struct tally_config *cfg, FILE *out)
{
	static const char *const names[] = { "max", "min", "median", "avg", "sum", "count" };
	const char *sep = "";

	fputs("histogram_aggregates: [", out);
	for (unsigned i = 0; i < 6; i++) {
		if (cfg->histogram_aggregates & (1u << i)) {
			fprintf(out, "%s%s", sep, names[i]);
			sep = ", ";
		}
	}
	fputs("]\nhistogram_percentiles: [", out);
	for (size_t i = 0; i < cfg->n_histogram_percentiles; i++) {
		double p = cfg->histogram_percentiles[i];

		/* 1.0 keeps its point: a bare 1 would read back as 1 percent */
		fprintf(out, p == 1 ? "%s%.1f" : "%s%.15g", i ? ", " : "", p);
	}
	fputs("]\n", out);
}

static void
print_outputs(const struct tally_config *cfg, FILE *out)
{
	fputs(cfg->n_outputs ? "outputs:\n" : "outputs: []\n", out);
	for (size_t i = 0; i < cfg->n_outputs; i++) {
		const struct tally_output_conf *o = &cfg->outputs[i];

		fprintf(out, "  - type: %s\n", o->type);
		if (o->address)
			print_key_str(out, "    address", o->address);
		if (o->url)
			print_key_str(out, "    url", o->url);
		if (o->listen)
			print_key_str(out, "    listen", o->listen);
	}
}

static void
print_api_key(const struct tally_config *cfg, FILE *out)
{
	char masked[16];
	size_t len;

	if (!cfg->api_key) {
		print_key_str(out, "api_key", NULL);
		return;
	}
	/* a key of five characters or fewer would be shown whole, so nothing is shown */
	len = strlen(cfg->api_key);
	snprintf(masked, sizeof(masked), "***%s", len > 5 ? cfg->api_key + len - 5 : "");
	print_key_str(out, "api_key", masked);
}

void
tally_config_print(const struct tally_config *cfg, FILE *out)
{
	static const char *const levels[] = { "error", "warn", "info", "debug" };

	fputs("# source: ", out);
	print_str(out, cfg->source);
	fputc('\n', out);
	print_api_key(cfg, out);
	print_key_str(out, "dd_url", cfg->dd_url);
	print_key_str(out, "hostname", cfg->hostname);
	print_list(out, "tags", cfg->tags, cfg->n_tags);
	print_key_str(out, "bind_host", cfg->bind_host);
	fprintf(out, "dogstatsd_port: %d\n", cfg->dogstatsd_port);
	fprintf(out, "dogstatsd_non_local_traffic: %s\n",
	        cfg->dogstatsd_non_local_traffic ? "true" : "false");
	print_key_str(out, "dogstatsd_socket", cfg->dogstatsd_socket);
	fprintf(out, "dogstatsd_buffer_size: %zu\n", cfg->dogstatsd_buffer_size);
	fprintf(out, "dogstatsd_so_rcvbuf: %zu\n", cfg->dogstatsd_so_rcvbuf);
	fprintf(out, "dogstatsd_context_limit: %zu\n", cfg->dogstatsd_context_limit);
	fprintf(out, "dogstatsd_expiry_seconds: %u\n", (unsigned)cfg->dogstatsd_expiry_seconds);
	fprintf(out, "flush_interval: %u\n", (unsigned)cfg->flush_interval);
	print_histograms(cfg, out);
	print_key_str(out, "confd_path", cfg->confd_path);
	print_list(out, "checksd_path", cfg->checksd_paths, cfg->n_checksd_paths);
	fprintf(out, "check_runners: %u\n", cfg->check_runners);
	print_outputs(cfg, out);
	fprintf(out, "forwarder_retry_queue_max_size: %zu\n", cfg->forwarder_retry_queue_max_size);
	print_key_str(out, "forwarder_storage_path", cfg->forwarder_storage_path);
	fprintf(out, "forwarder_storage_max_size: %zu\n", cfg->forwarder_storage_max_size);
	fprintf(out, "forwarder_timeout: %g\n", cfg->forwarder_timeout);
	fprintf(out, "forwarder_stop_timeout: %g\n", cfg->forwarder_stop_timeout);
	fprintf(out, "forwarder_num_workers: %u\n", cfg->forwarder_num_workers);
	fprintf(out, "log_level: %s\n",
	        (unsigned)cfg->log_level < 4 ? levels[cfg->log_level] : "info");
	print_key_str(out, "log_file", cfg->log_file);
	print_key_str(out, "status_listen", cfg->status_listen ? cfg->status_listen : "");
	fprintf(out, "dogstatsd_origin_detection_client: %s\n",
	        cfg->dogstatsd_origin_detection_client ? "true" : "false");
}
