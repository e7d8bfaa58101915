#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

/* "config.h" above is autoconf's; the module's header has the same name. */
#include "core/agg.h"
#include "core/config.h"
#include "core/log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FIXTURE(name) TALLY_SRCDIR "/tests/unit/data/config/" name

extern char **environ;

/* Tests must not see the DD_* variables of whoever runs them. */
static int
clear_dd_env(void **state)
{
	char name[256];
	bool found = true;

	while (found) {
		found = false;
		for (char **e = environ; *e; e++) {
			size_t len = strcspn(*e, "=");

			if (strncmp(*e, "DD_", 3) || len >= sizeof(name))
				continue;
			memcpy(name, *e, len);
			name[len] = '\0';
			unsetenv(name);
			found = true;
			break;
		}
	}
	tally_log_set_level(TALLY_LOG_ERROR);
	return 0;
}

/* Writes text to a new temporary file and returns its path (the caller frees and unlinks). */
static char *
temp_yaml(const char *text)
{
	char *path = strdup("/tmp/test_config.XXXXXX");
	int fd = mkstemp(path);
	size_t len = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static struct tally_config *
load_text(const char *text, char *err, size_t err_len)
{
	char *path = temp_yaml(text);
	struct tally_config *cfg = tally_config_load(path, err, err_len);

	unlink(path);
	free(path);
	return cfg;
}

/* The printed form of cfg; the caller frees it. */
static char *
printed(const struct tally_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	tally_config_print(cfg, f);
	fclose(f);
	return buf;
}

static void
assert_printed_line(const struct tally_config *cfg, const char *line)
{
	char *out = printed(cfg), want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(out, want))
		fail_msg("line \"%s\" not in:\n%s", line, out);
	free(out);
}

static void
test_embedded_default(void **state)
{
	struct tally_config *cfg = tally_config_load(NULL, NULL, 0);
	char host[256] = "";

	assert_non_null(cfg);
	gethostname(host, sizeof(host) - 1);
	assert_string_equal(cfg->source, "<embedded>");
	assert_null(cfg->api_key);
	assert_string_equal(cfg->dd_url, "https://api.datadoghq.com");
	assert_string_equal(cfg->hostname, host);
	assert_int_equal(cfg->n_tags, 0);
	assert_string_equal(cfg->bind_host, "127.0.0.1");
	assert_int_equal(cfg->dogstatsd_port, 8125);
	assert_false(cfg->dogstatsd_non_local_traffic);
	assert_null(cfg->dogstatsd_socket);
	assert_int_equal(cfg->dogstatsd_buffer_size, 8192);
	assert_int_equal(cfg->dogstatsd_so_rcvbuf, 8 << 20);
	assert_int_equal(cfg->dogstatsd_context_limit, 1000000);
	assert_int_equal(cfg->dogstatsd_expiry_seconds, 300);
	assert_int_equal(cfg->flush_interval, 10);
	assert_int_equal(cfg->histogram_aggregates, TALLY_HAGG_DEFAULT);
	assert_int_equal(cfg->n_histogram_percentiles, 1);
	assert_true(cfg->histogram_percentiles[0] == 0.95);
	/* the test binary runs from the build tree */
	assert_string_equal(cfg->confd_path, TALLY_SRCDIR "/conf.d");
	assert_int_equal(cfg->n_checksd_paths, 1);
	assert_string_equal(cfg->checksd_paths[0], TALLY_BUILDDIR "/checks.d");
	assert_int_equal(cfg->check_runners, 4);
	assert_int_equal(cfg->n_outputs, 1);
	assert_string_equal(cfg->outputs[0].type, "console");
	assert_int_equal(cfg->outputs[0].line, 0);
	assert_int_equal(cfg->forwarder_retry_queue_max_size, 15 << 20);
	assert_null(cfg->forwarder_storage_path);
	assert_int_equal(cfg->forwarder_storage_max_size, 100 << 20);
	assert_true(cfg->forwarder_timeout == 20);
	assert_true(cfg->forwarder_stop_timeout == 5);
	assert_int_equal(cfg->forwarder_num_workers, 1);
	assert_int_equal(cfg->log_level, TALLY_LOG_INFO);
	assert_null(cfg->log_file);
	assert_string_equal(cfg->status_listen, "127.0.0.1:5000");
	tally_config_free(cfg);
	tally_config_free(NULL);
}

/* An empty file, or one with only comments, is the default (with itself as source). */
static void
test_empty_file_is_default(void **state)
{
	static const char *const texts[] = { "", "# nothing here\n", "---\n" };
	char err[512] = "";

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct tally_config *cfg = load_text(texts[i], err, sizeof(err));

		assert_non_null(cfg);
		assert_int_equal(cfg->dogstatsd_port, 8125);
		assert_int_equal(cfg->n_outputs, 1);
		assert_string_equal(err, "");
		tally_config_free(cfg);
	}
}

/* Every key with an explicit value, and some with their defaults, seen through the printout. */
static const struct {
	const char *yaml;
	const char *line;
} key_cases[] = {
	{ "api_key: 0123456789abcdef", "api_key: \"***bcdef\"" },
	{ "api_key: abc", "api_key: \"***\"" },
	{ "api_key:", "api_key: null" },
	{ "dd_url: https://intake.example.com//", "dd_url: \"https://intake.example.com\"" },
	{ "dd_url: http://localhost:8428/datadog", "dd_url: \"http://localhost:8428/datadog\"" },
	{ "site: datadoghq.eu", "dd_url: \"https://api.datadoghq.eu\"" },
	{ "site: datadoghq.eu\ndd_url: http://x", "dd_url: \"http://x\"" },
	{ "hostname: h1", "hostname: \"h1\"" },
	{ "tags: [a:b, c:d]", "tags: [\"a:b\", \"c:d\"]" },
	{ "tags: \"a:b c:d,e:f\"", "tags: [\"a:b\", \"c:d\", \"e:f\"]" },
	{ "tags: []", "tags: []" },
	{ "tags:", "tags: []" },
	{ "bind_host: 0.0.0.0", "bind_host: \"0.0.0.0\"" },
	{ "dogstatsd_non_local_traffic: true", "bind_host: \"0.0.0.0\"" },
	{ "dogstatsd_non_local_traffic: yes", "dogstatsd_non_local_traffic: true" },
	{ "dogstatsd_non_local_traffic: true\nbind_host: 10.1.1.1", "bind_host: \"10.1.1.1\"" },
	{ "bind_host: 10.1.1.1\ndogstatsd_non_local_traffic: on", "bind_host: \"10.1.1.1\"" },
	{ "dogstatsd_port: 0", "dogstatsd_port: 0" },
	{ "dogstatsd_port: \"9125\"", "dogstatsd_port: 9125" },
	{ "dogstatsd_port: 65535", "dogstatsd_port: 65535" },
	{ "dogstatsd_socket: /run/dsd.sock", "dogstatsd_socket: \"/run/dsd.sock\"" },
	{ "dogstatsd_socket: \"\"", "dogstatsd_socket: null" },
	{ "dogstatsd_buffer_size: 65536", "dogstatsd_buffer_size: 65536" },
	{ "dogstatsd_buffer_size: 16KiB", "dogstatsd_buffer_size: 16384" },
	{ "dogstatsd_so_rcvbuf: 8MiB", "dogstatsd_so_rcvbuf: 8388608" },
	{ "dogstatsd_so_rcvbuf: 15MB", "dogstatsd_so_rcvbuf: 15000000" },
	{ "dogstatsd_so_rcvbuf: 0", "dogstatsd_so_rcvbuf: 0" },
	{ "dogstatsd_context_limit: 1", "dogstatsd_context_limit: 1" },
	{ "dogstatsd_expiry_seconds: 0", "dogstatsd_expiry_seconds: 0" },
	{ "flush_interval: 3600", "flush_interval: 3600" },
	{ "histogram_aggregates: [max, min, median, avg, sum, count]",
	  "histogram_aggregates: [max, min, median, avg, sum, count]" },
	{ "histogram_aggregates: [COUNT, sum]", "histogram_aggregates: [sum, count]" },
	{ "histogram_aggregates: \"max count\"", "histogram_aggregates: [max, count]" },
	{ "histogram_aggregates: []", "histogram_aggregates: []" },
	{ "histogram_percentiles: [0.5, 0.99]", "histogram_percentiles: [0.5, 0.99]" },
	{ "histogram_percentiles: [95, \"0.5\", 99, 0.95]",
	  "histogram_percentiles: [0.5, 0.95, 0.99]" },
	{ "histogram_percentiles: [1, 100, 1.0]", "histogram_percentiles: [0.01, 1.0]" },
	{ "histogram_percentiles: 0.75", "histogram_percentiles: [0.75]" },
	{ "histogram_percentiles: []", "histogram_percentiles: []" },
	{ "confd_path: /etc/x/conf.d", "confd_path: \"/etc/x/conf.d\"" },
	{ "checksd_path: /opt/checks.d", "checksd_path: [\"/opt/checks.d\"]" },
	{ "checksd_path: [/a, /b]", "checksd_path: [\"/a\", \"/b\"]" },
	{ "check_runners: 64", "check_runners: 64" },
	{ "outputs: [{type: graphite, address: \"g:2003\"}]",
	  "outputs:\n  - type: graphite\n    address: \"g:2003\"" },
	{ "outputs: [{type: influxdb, url: \"http://i:8086/write?db=m\"}]",
	  "outputs:\n  - type: influxdb\n    url: \"http://i:8086/write?db=m\"" },
	{ "outputs: [{type: prometheus, listen: \":9100\"}]",
	  "outputs:\n  - type: prometheus\n    listen: \":9100\"" },
	{ "outputs: [{type: datadog, url: \"http://vm:8428/datadog/\"}]",
	  "outputs:\n  - type: datadog\n    url: \"http://vm:8428/datadog\"" },
	{ "outputs: []", "outputs:\n  - type: console" },
	{ "api_key: 0123456789", "outputs: []" },
	{ "forwarder_retry_queue_max_size: 1MiB", "forwarder_retry_queue_max_size: 1048576" },
	{ "forwarder_storage_path: /var/spool/tally",
	  "forwarder_storage_path: \"/var/spool/tally\"" },
	{ "forwarder_storage_max_size: 2 GiB", "forwarder_storage_max_size: 2147483648" },
	{ "forwarder_timeout: 0.5", "forwarder_timeout: 0.5" },
	{ "forwarder_stop_timeout: 0", "forwarder_stop_timeout: 0" },
	{ "forwarder_num_workers: 4", "forwarder_num_workers: 4" },
	{ "forwarder_num_workers: 32", "forwarder_num_workers: 32" },
	{ "log_level: WARNING", "log_level: warn" },
	{ "log_level: error", "log_level: error" },
	{ "log_file: /var/log/tally.log", "log_file: \"/var/log/tally.log\"" },
	{ "status_listen: \"0\"", "status_listen: \"\"" },
	{ "status_listen: \"\"", "status_listen: \"\"" },
	{ "status_listen: \":5001\"", "status_listen: \":5001\"" },
	{ "hostname: \"a\\\"b\\\\c\\td\"", "hostname: \"a\\\"b\\\\c\\x09d\"" },
};

static void
test_keys(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(key_cases); i++) {
		char err[512] = "";
		struct tally_config *cfg = load_text(key_cases[i].yaml, err, sizeof(err));

		if (!cfg)
			fail_msg("%s: %s", key_cases[i].yaml, err);
		assert_printed_line(cfg, key_cases[i].line);
		tally_config_free(cfg);
	}
}

/* The printout of the default holds every key with its DESIGN.md default. */
static void
test_defaults_printed(void **state)
{
	static const char *const lines[] = {
		"api_key: null",
		"dd_url: \"https://api.datadoghq.com\"",
		"tags: []",
		"bind_host: \"127.0.0.1\"",
		"dogstatsd_port: 8125",
		"dogstatsd_non_local_traffic: false",
		"dogstatsd_socket: null",
		"dogstatsd_buffer_size: 8192",
		"dogstatsd_so_rcvbuf: 8388608",
		"dogstatsd_context_limit: 1000000",
		"dogstatsd_expiry_seconds: 300",
		"flush_interval: 10",
		"histogram_aggregates: [max, median, avg, count]",
		"histogram_percentiles: [0.95]",
		"confd_path: \"" TALLY_SRCDIR "/conf.d\"",
		"checksd_path: [\"" TALLY_BUILDDIR "/checks.d\"]",
		"check_runners: 4",
		"outputs:\n  - type: console",
		"forwarder_retry_queue_max_size: 15728640",
		"forwarder_storage_path: null",
		"forwarder_storage_max_size: 104857600",
		"forwarder_timeout: 20",
		"forwarder_stop_timeout: 5",
		"forwarder_num_workers: 1",
		"log_level: info",
		"log_file: null",
		"status_listen: \"127.0.0.1:5000\"",
	};
	char err[512];
	struct tally_config *cfg = load_text("# defaults\n", err, sizeof(err));

	assert_non_null(cfg);
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		assert_printed_line(cfg, lines[i]);
	tally_config_free(cfg);
}

static void
test_full_file(void **state)
{
	char err[512] = "";
	struct tally_config *cfg = tally_config_load(FIXTURE("full.yaml"), err, sizeof(err));

	if (!cfg)
		fail_msg("%s", err);
	assert_string_equal(cfg->source, FIXTURE("full.yaml"));
	assert_string_equal(cfg->api_key, "0123456789abcdef0123456789abcdef");
	assert_string_equal(cfg->dd_url, "https://intake.example.com");
	assert_string_equal(cfg->hostname, "web-1.example.com");
	assert_int_equal(cfg->n_tags, 2);
	assert_string_equal(cfg->tags[1], "team:core");
	assert_string_equal(cfg->bind_host, "10.0.0.1");
	assert_int_equal(cfg->dogstatsd_port, 18125);
	assert_true(cfg->dogstatsd_non_local_traffic);
	assert_string_equal(cfg->dogstatsd_socket, "/run/tally/dsd.socket");
	assert_int_equal(cfg->dogstatsd_buffer_size, 16384);
	assert_int_equal(cfg->dogstatsd_so_rcvbuf, 16 << 20);
	assert_int_equal(cfg->dogstatsd_context_limit, 50000);
	assert_int_equal(cfg->dogstatsd_expiry_seconds, 60);
	assert_int_equal(cfg->flush_interval, 15);
	assert_int_equal(cfg->histogram_aggregates,
	                 TALLY_HAGG_MAX | TALLY_HAGG_MIN | TALLY_HAGG_SUM | TALLY_HAGG_COUNT);
	assert_int_equal(cfg->n_histogram_percentiles, 3);
	assert_true(cfg->histogram_percentiles[0] == 0.5);
	assert_true(cfg->histogram_percentiles[1] == 0.95);
	assert_true(cfg->histogram_percentiles[2] == 0.99);
	assert_string_equal(cfg->confd_path, "/etc/tally/conf.d");
	assert_int_equal(cfg->n_checksd_paths, 2);
	assert_string_equal(cfg->checksd_paths[1], "/opt/checks.d");
	assert_int_equal(cfg->check_runners, 8);
	assert_int_equal(cfg->n_outputs, 5);
	assert_string_equal(cfg->outputs[0].type, "graphite");
	assert_string_equal(cfg->outputs[0].address, "graphite.example.com:2003");
	assert_null(cfg->outputs[0].url);
	assert_int_equal(cfg->outputs[0].line, 25);
	assert_int_equal(cfg->outputs[0].col, 5);
	assert_string_equal(cfg->outputs[1].url, "http://influx:8086/write?db=metrics");
	assert_string_equal(cfg->outputs[2].listen, ":9100");
	assert_string_equal(cfg->outputs[3].type, "console");
	assert_string_equal(cfg->outputs[4].url, "http://victoria:8428/datadog");
	assert_int_equal(cfg->forwarder_retry_queue_max_size, 30 << 20);
	assert_string_equal(cfg->forwarder_storage_path, "/var/lib/tally/spool");
	assert_int_equal(cfg->forwarder_storage_max_size, 1 << 30);
	assert_true(cfg->forwarder_timeout == 7.5);
	assert_true(cfg->forwarder_stop_timeout == 2);
	assert_int_equal(cfg->forwarder_num_workers, 3);
	assert_int_equal(cfg->log_level, TALLY_LOG_DEBUG);
	assert_string_equal(cfg->log_file, "/var/log/tally.log");
	assert_string_equal(cfg->status_listen, "127.0.0.1:5555");
	tally_config_free(cfg);
}

/* What configcheck prints loads again to the same configuration. */
static void
test_print_round_trip(void **state)
{
	char err[512] = "";
	struct tally_config *a = tally_config_load(FIXTURE("full.yaml"), err, sizeof(err));
	char *text_a, *text_b;
	struct tally_config *b;

	assert_non_null(a);
	text_a = printed(a);
	b = load_text(text_a, err, sizeof(err));
	if (!b)
		fail_msg("%s\n%s", err, text_a);
	text_b = printed(b);
	/* all but the first line, "# source: ..." */
	assert_string_equal(strchr(text_a, '\n'), strchr(text_b, '\n'));
	assert_null(strstr(text_a, "0123456789abcdef0123456789a"));
	free(text_a);
	free(text_b);
	tally_config_free(a);
	tally_config_free(b);
}

static void
test_datadog_yaml_loads(void **state)
{
	char err[512] = "";
	struct tally_config *cfg = tally_config_load(FIXTURE("datadog.yaml"), err, sizeof(err));

	if (!cfg)
		fail_msg("%s", err);
	assert_string_equal(cfg->dd_url, "https://api.datadoghq.eu");
	assert_int_equal(cfg->n_tags, 1);
	assert_int_equal(cfg->n_outputs, 0); /* the api_key turns the datadog backend on */
	assert_string_equal(cfg->bind_host, "127.0.0.1");
	tally_config_free(cfg);
}

/* Env overrides: DD_<KEY>, applied over the file (file NULL: over the default). */
static const struct {
	const char *var, *value;
	const char *file;
	const char *line;
} env_cases[] = {
	{ "DD_API_KEY", "0123456789abcdef", NULL, "api_key: \"***bcdef\"" },
	{ "DD_DD_URL", "http://localhost:8080/", NULL, "dd_url: \"http://localhost:8080\"" },
	{ "DD_SITE", "us3.datadoghq.com", NULL, "dd_url: \"https://api.us3.datadoghq.com\"" },
	{ "DD_HOSTNAME", "from-env", "hostname: from-file", "hostname: \"from-env\"" },
	{ "DD_TAGS", "a:b c:d", NULL, "tags: [\"a:b\", \"c:d\"]" },
	{ "DD_TAGS", "a:b,c:d, e:f", "tags: [x:y]", "tags: [\"a:b\", \"c:d\", \"e:f\"]" },
	{ "DD_BIND_HOST", "::1", NULL, "bind_host: \"::1\"" },
	{ "DD_DOGSTATSD_PORT", "9000", "dogstatsd_port: 8000", "dogstatsd_port: 9000" },
	{ "DD_DOGSTATSD_PORT", "", "dogstatsd_port: 8000", "dogstatsd_port: 8000" },
	{ "DD_DOGSTATSD_NON_LOCAL_TRAFFIC", "true", NULL, "bind_host: \"0.0.0.0\"" },
	{ "DD_DOGSTATSD_NON_LOCAL_TRAFFIC", "1", "bind_host: 10.0.0.1", "bind_host: \"10.0.0.1\"" },
	{ "DD_DOGSTATSD_SOCKET", "/run/x.sock", NULL, "dogstatsd_socket: \"/run/x.sock\"" },
	{ "DD_DOGSTATSD_BUFFER_SIZE", "32KiB", NULL, "dogstatsd_buffer_size: 32768" },
	{ "DD_DOGSTATSD_SO_RCVBUF", "4194304", NULL, "dogstatsd_so_rcvbuf: 4194304" },
	{ "DD_DOGSTATSD_CONTEXT_LIMIT", "10", NULL, "dogstatsd_context_limit: 10" },
	{ "DD_DOGSTATSD_EXPIRY_SECONDS", "30", NULL, "dogstatsd_expiry_seconds: 30" },
	{ "DD_FLUSH_INTERVAL", "1", "flush_interval: 20", "flush_interval: 1" },
	{ "DD_HISTOGRAM_AGGREGATES", "max,sum", NULL, "histogram_aggregates: [max, sum]" },
	{ "DD_HISTOGRAM_PERCENTILES", "0.5 0.95", NULL, "histogram_percentiles: [0.5, 0.95]" },
	{ "DD_HISTOGRAM_PERCENTILES", "99", "histogram_percentiles: [0.5]",
	  "histogram_percentiles: [0.99]" },
	{ "DD_CONFD_PATH", "/c", NULL, "confd_path: \"/c\"" },
	{ "DD_CHECKSD_PATH", "/a:/b", NULL, "checksd_path: [\"/a\", \"/b\"]" },
	{ "DD_CHECK_RUNNERS", "2", NULL, "check_runners: 2" },
	{ "DD_OUTPUTS", "[{type: graphite, address: \"127.0.0.1:2003\"}]",
	  "outputs: [{type: prometheus, listen: \":9100\"}]",
	  "outputs:\n  - type: graphite\n    address: \"127.0.0.1:2003\"" },
	{ "DD_FORWARDER_RETRY_QUEUE_MAX_SIZE", "1MiB", NULL,
	  "forwarder_retry_queue_max_size: 1048576" },
	{ "DD_FORWARDER_STORAGE_PATH", "/s", NULL, "forwarder_storage_path: \"/s\"" },
	{ "DD_FORWARDER_STORAGE_MAX_SIZE", "10MB", NULL, "forwarder_storage_max_size: 10000000" },
	{ "DD_FORWARDER_TIMEOUT", "3", NULL, "forwarder_timeout: 3" },
	{ "DD_FORWARDER_STOP_TIMEOUT", "1.5", NULL, "forwarder_stop_timeout: 1.5" },
	{ "DD_FORWARDER_NUM_WORKERS", "4", "forwarder_num_workers: 2", "forwarder_num_workers: 4" },
	{ "DD_LOG_LEVEL", "debug", "log_level: error", "log_level: debug" },
	{ "DD_LOG_FILE", "/l", NULL, "log_file: \"/l\"" },
	{ "DD_STATUS_LISTEN", "0", NULL, "status_listen: \"\"" },
};

static void
test_env_overrides(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(env_cases); i++) {
		char err[512] = "";
		struct tally_config *cfg;

		setenv(env_cases[i].var, env_cases[i].value, 1);
		if (env_cases[i].file)
			cfg = load_text(env_cases[i].file, err, sizeof(err));
		else
			cfg = tally_config_load(NULL, err, sizeof(err));
		unsetenv(env_cases[i].var);
		if (!cfg)
			fail_msg("%s=%s: %s", env_cases[i].var, env_cases[i].value, err);
		assert_printed_line(cfg, env_cases[i].line);
		tally_config_free(cfg);
	}
}

static void
test_env_outputs_have_no_position(void **state)
{
	char err[512] = "";
	struct tally_config *cfg;

	setenv("DD_OUTPUTS", "[{type: console}, {type: influxdb, url: 'http://i/write'}]", 1);
	cfg = tally_config_load(NULL, err, sizeof(err));
	unsetenv("DD_OUTPUTS");
	assert_non_null(cfg);
	assert_int_equal(cfg->n_outputs, 2);
	assert_string_equal(cfg->outputs[1].url, "http://i/write");
	assert_int_equal(cfg->outputs[1].line, 0);
	tally_config_free(cfg);
}

/* Errors in a file: the expected message follows the file's path. */
static const struct {
	const char *yaml;
	const char *err;
} file_errors[] = {
	{ "dogstatsd_port: [8125\n",
	  ":2:1: did not find expected ',' or ']' (while parsing a flow sequence at 1:17)" },
	{ "outputs:\n  - type: console\n bad: 1\n",
	  ":3:2: did not find expected key (while parsing a block mapping at 1:1)" },
	{ "tags:\n\t- a:b\n", ":2:1: found character that cannot start any token (while "
	                      "scanning for the next token at 2:1)" },
	{ "dogstatsd_port: abc\n",
	  ":1:17: dogstatsd_port: expected integer 0..65535, got \"abc\"" },
	{ "flush_interval: 10\ndogstatsd_port: 70000\n",
	  ":2:17: dogstatsd_port: expected integer 0..65535, got \"70000\"" },
	{ "flush_interval: 0\n", ":1:17: flush_interval: expected integer 1..3600, got \"0\"" },
	{ "check_runners: 65\n", ":1:16: check_runners: expected integer 1..64, got \"65\"" },
	{ "dogstatsd_context_limit: 0\n",
	  ":1:26: dogstatsd_context_limit: expected integer 1..1000000000, got \"0\"" },
	{ "dogstatsd_buffer_size: 100\n",
	  ":1:24: dogstatsd_buffer_size: expected size 512..65536 bytes, got \"100\"" },
	{ "dogstatsd_so_rcvbuf: lots\n",
	  ":1:22: dogstatsd_so_rcvbuf: expected size 0..2147483647 bytes, got \"lots\"" },
	{ "dogstatsd_non_local_traffic: maybe\n",
	  ":1:30: dogstatsd_non_local_traffic: expected true or false, got \"maybe\"" },
	{ "hostname: [a]\n", ":1:11: hostname: expected a string, got a sequence" },
	{ "hostname: \"\"\n", ":1:11: hostname: expected a non-empty string" },
	{ "dd_url: ftp://x\n",
	  ":1:9: dd_url: expected an http:// or https:// URL, got \"ftp://x\"" },
	{ "forwarder_timeout: 0\n",
	  ":1:20: forwarder_timeout: expected number 0.001..3600, got \"0\"" },
	{ "forwarder_timeout: 20s\n",
	  ":1:20: forwarder_timeout: expected number 0.001..3600, got \"20s\"" },
	{ "forwarder_num_workers: 0\n",
	  ":1:24: forwarder_num_workers: expected integer 1..32, got \"0\"" },
	{ "flush_interval: 10\nforwarder_num_workers: 33\n",
	  ":2:24: forwarder_num_workers: expected integer 1..32, got \"33\"" },
	{ "forwarder_num_workers: four\n",
	  ":1:24: forwarder_num_workers: expected integer 1..32, got \"four\"" },
	{ "log_level: loud\n",
	  ":1:12: log_level: expected error, warn, info or debug, got \"loud\"" },
	{ "status_listen: localhost\n",
	  ":1:16: status_listen: expected host:port, got \"localhost\"" },
	{ "flush_interval: 10\nfoo: 1\n", ":2:1: unknown key \"foo\"" },
	{ "dogstatsd_prot: 8125\n",
	  ":1:1: unknown key \"dogstatsd_prot\" (did you mean dogstatsd_port?)" },
	{ "flush_intervall: 10\n",
	  ":1:1: unknown key \"flush_intervall\" (did you mean flush_interval?)" },
	{ "histogram_aggregates: [max, mean]\n",
	  ":1:29: histogram_aggregates[1]: expected max, min, median, avg, sum or count, got "
	  "\"mean\"" },
	{ "histogram_aggregates: \"max p99\"\n",
	  ":1:23: histogram_aggregates[1]: expected max, min, median, avg, sum or count, got "
	  "\"p99\"" },
	{ "histogram_aggregates: {max: 1}\n",
	  ":1:23: histogram_aggregates: expected a list, got a map" },
	{ "histogram_percentiles:\n  - 0.5\n  - 150\n",
	  ":3:5: histogram_percentiles[1]: expected a fraction 0..1 (0.95) or a whole percent "
	  "1..100 (95), got \"150\"" },
	{ "histogram_percentiles: [0]\n", ":1:25: histogram_percentiles[0]: expected a fraction "
	                                  "0..1 (0.95) or a whole percent 1..100 (95), got \"0\"" },
	{ "histogram_percentiles: [99.9]\n",
	  ":1:25: histogram_percentiles[0]: expected a fraction 0..1 (0.95) or a whole percent "
	  "1..100 (95), got \"99.9\"" },
	{ "histogram_percentiles: [p95]\n",
	  ":1:25: histogram_percentiles[0]: expected a fraction 0..1 (0.95) or a whole percent "
	  "1..100 (95), got \"p95\"" },
	{ "outputs:\n  - type: graphite\n", ":2:5: outputs[0]: type graphite needs address" },
	{ "outputs:\n  - type: console\n  - type: kafka\n    address: k:9092\n",
	  ":3:11: outputs[1].type: unknown output type \"kafka\" (expected console, graphite, "
	  "influxdb, prometheus or datadog)" },
	{ "outputs:\n  - {type: graphite, adress: \"g:2003\"}\n",
	  ":2:22: outputs[0]: unknown key \"adress\"" },
	{ "outputs:\n  - {type: console, url: \"http://x\"}\n",
	  ":2:21: outputs[0]: key \"url\" does not apply to a console output" },
	{ "outputs:\n  - {address: \"g:2003\"}\n", ":2:5: outputs[0]: missing type" },
	{ "outputs:\n  - {type: influxdb}\n", ":2:5: outputs[0]: type influxdb needs url" },
	{ "outputs:\n  - {type: prometheus, listen: 9100}\n",
	  ":2:32: outputs[0].listen: expected host:port, got \"9100\"" },
	{ "outputs:\n  - {type: graphite, address: \"g:99999\"}\n",
	  ":2:31: outputs[0].address: expected host:port, got \"g:99999\"" },
	{ "outputs:\n  - {type: influxdb, url: \"influx:8086\"}\n",
	  ":2:27: outputs[0].url: expected an http:// or https:// URL, got \"influx:8086\"" },
	{ "outputs:\n  - {type: datadog}\n", ":2:5: outputs[0]: type datadog needs url" },
	{ "outputs: console\n", ":1:10: outputs: expected a list, got \"console\"" },
	{ "outputs: [console]\n", ":1:11: outputs[0]: expected a map like {type: console}, got "
	                          "\"console\"" },
	{ "- flush_interval: 10\n",
	  ":1:1: expected a map of settings at the top level, got a sequence" },
	{ "just a string\n", ":1:1: expected a map of settings at the top level, got \"just a "
	                     "string\"" },
	{ "flush_interval: 10\nflush_interval: 20\n",
	  ":2:1: duplicate key \"flush_interval\" (first at 1:1)" },
	{ "base: &b 1\n", ":1:7: anchors (&b) are not supported" },
};

static void
test_file_errors(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(file_errors); i++) {
		char *path = temp_yaml(file_errors[i].yaml);
		char err[512] = "", want[512];
		struct tally_config *cfg = tally_config_load(path, err, sizeof(err));

		if (cfg)
			fail_msg("loaded: %s", file_errors[i].yaml);
		snprintf(want, sizeof(want), "%s%s", path, file_errors[i].err);
		assert_string_equal(err, want);
		unlink(path);
		free(path);
	}
}

static const struct {
	const char *var, *value;
	const char *err;
} env_errors[] = {
	{ "DD_DOGSTATSD_PORT", "x", "DD_DOGSTATSD_PORT: expected integer 0..65535, got \"x\"" },
	{ "DD_DOGSTATSD_PORT", "70000",
	  "DD_DOGSTATSD_PORT: expected integer 0..65535, got \"70000\"" },
	{ "DD_FLUSH_INTERVAL", "0", "DD_FLUSH_INTERVAL: expected integer 1..3600, got \"0\"" },
	{ "DD_FORWARDER_NUM_WORKERS", "64",
	  "DD_FORWARDER_NUM_WORKERS: expected integer 1..32, got \"64\"" },
	{ "DD_DOGSTATSD_NON_LOCAL_TRAFFIC", "sure",
	  "DD_DOGSTATSD_NON_LOCAL_TRAFFIC: expected true or false, got \"sure\"" },
	{ "DD_HISTOGRAM_AGGREGATES", "max mean",
	  "DD_HISTOGRAM_AGGREGATES: expected max, min, median, avg, sum or count, got \"mean\"" },
	{ "DD_HISTOGRAM_PERCENTILES", "0.5 abc",
	  "DD_HISTOGRAM_PERCENTILES: expected a fraction 0..1 (0.95) or a whole percent 1..100 "
	  "(95), got \"abc\"" },
	{ "DD_DOGSTATSD_SO_RCVBUF", "8 apples",
	  "DD_DOGSTATSD_SO_RCVBUF: expected size 0..2147483647 bytes, got \"8 apples\"" },
	{ "DD_DD_URL", "api.example.com",
	  "DD_DD_URL: expected an http:// or https:// URL, got \"api.example.com\"" },
	{ "DD_LOG_LEVEL", "verbose",
	  "DD_LOG_LEVEL: expected error, warn, info or debug, got "
	  "\"verbose\"" },
	{ "DD_OUTPUTS", "[{type: graphite, address: \"127.0.0.1:2003\"",
	  "DD_OUTPUTS:2:1: did not find expected ',' or '}' (while parsing a flow mapping at "
	  "1:2)" },
	{ "DD_OUTPUTS", "[{type: graphite}]",
	  "DD_OUTPUTS:1:2: outputs[0]: type graphite needs address" },
	{ "DD_OUTPUTS", "{type: console}", "DD_OUTPUTS:1:1: outputs: expected a list, got a map" },
};

static void
test_env_errors(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(env_errors); i++) {
		char err[512] = "";
		struct tally_config *cfg;

		setenv(env_errors[i].var, env_errors[i].value, 1);
		cfg = tally_config_load(NULL, err, sizeof(err));
		unsetenv(env_errors[i].var);
		if (cfg)
			fail_msg("loaded: %s=%s", env_errors[i].var, env_errors[i].value);
		assert_string_equal(err, env_errors[i].err);
	}
}

static const struct {
	const char *file;
	const char *err;
} fixture_errors[] = {
	{ FIXTURE("garbage.bin"), ":1:1: control characters are not allowed (#x7F)" },
	{ FIXTURE("not_a_map.yaml"),
	  ":1:1: expected a map of settings at the top level, got a sequence" },
	{ FIXTURE("tab.yaml"), ":3:1: found character that cannot start any token (while "
	                       "scanning for the next token at 3:1)" },
	{ FIXTURE("missing.yaml"), ": No such file or directory" },
};

static void
test_fixture_errors(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(fixture_errors); i++) {
		char err[512] = "", want[512];

		assert_null(tally_config_load(fixture_errors[i].file, err, sizeof(err)));
		snprintf(want, sizeof(want), "%s%s", fixture_errors[i].file, fixture_errors[i].err);
		assert_string_equal(err, want);
	}
}

static void
test_deep_document_is_refused(void **state)
{
	char *text = malloc(100000), *p = text, err[512], want[512];
	char *path;

	p += sprintf(p, "tags: ");
	for (int i = 0; i < 10000; i++)
		*p++ = '[';
	*p = '\0';
	path = temp_yaml(text);
	assert_null(tally_config_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:1:70: nested deeper than 64 levels", path);
	assert_string_equal(err, want);
	unlink(path);
	free(path);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_default),
		cmocka_unit_test(test_empty_file_is_default),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_defaults_printed),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_print_round_trip),
		cmocka_unit_test(test_datadog_yaml_loads),
		cmocka_unit_test(test_env_overrides),
		cmocka_unit_test(test_env_outputs_have_no_position),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_env_errors),
		cmocka_unit_test(test_fixture_errors),
		cmocka_unit_test(test_deep_document_is_refused),
	};

	return cmocka_run_group_tests(tests, clear_dd_env, NULL);
}
