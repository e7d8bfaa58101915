/*
 * tally/check.h: the check plugin ABI. The only header a check includes.
 *
 * A check is a shared object (NAME.so in a checksd_path folder) that exports exactly one
 * symbol, tally_check_entry(), returning a constant descriptor. The agent:
 *   - loads it with dlopen(RTLD_NOW | RTLD_LOCAL) and checks, before reading anything else,
 *     that abi_version == TALLY_CHECK_ABI_VERSION and struct_size >= TALLY_CHECK_PLUGIN_SIZE_V1,
 *     then that name equals the file's basename; it refuses the file otherwise, and also when
 *     the file is group- or world-writable or owned by anyone but root or the agent's user;
 *   - reads conf.d/NAME.yaml and conf.d/NAME.d/<any>.yaml; for every entry of `instances:` it
 *     allocates state_size zeroed bytes, binds the instance's values (or init_config's, or the
 *     defaults) into that state as the config table says, and calls init(state) once;
 *   - calls run(state, ops, ctx) every min_collection_interval seconds on a worker thread; what
 *     the run submits through ops is buffered and handed to the aggregator when run returns,
 *     so one run's samples are committed together;
 *   - calls destroy(state) when the instance goes away (SIGHUP reload, shutdown), then frees
 *     the state and the bound values itself.
 *
 * Threads: init, run and destroy of one instance never overlap each other, but different
 * instances (of the same check too) run concurrently on different worker threads, so a
 * check keeps everything in its per-instance state and has no writable globals. run may
 * block (it is not on the agent's event loop), but a run longer than the instance's
 * `timeout` is reported and the instance is not started again until that run returns.
 *
 * Ownership: every pointer the agent passes (ops, ctx, strings in the state) is borrowed;
 * every pointer a check passes (names, tags, messages) is borrowed for the duration of the
 * call only and the agent copies what it keeps. The agent never frees check memory and a
 * check never frees agent memory.
 *
 * Compatibility: fields and ops are only ever appended. A check built against an older
 * header keeps working (its struct_size says which fields it has); a check that wants an op
 * newer than TALLY_CHECK_ABI_VERSION 1 tests ops->struct_size first (TALLY_CHECK_HAS_OP).
 * Anything incompatible bumps TALLY_CHECK_ABI_VERSION, and the agent then refuses old files
 * with a clear message instead of crashing.
 *
 * Build a check outside the agent's tree with:
 *   cc -shared -fPIC -I<includedir> my_check.c -o my_check.so
 * (see checks.d/example/ in the Tally sources for a complete, commented example).
 */
#ifndef TALLY_CHECK_H
#define TALLY_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change to this file. */
#define TALLY_CHECK_ABI_VERSION 1u

/* The symbol the agent looks up; define it with TALLY_CHECK_DEFINE(). */
#define TALLY_CHECK_ENTRY_SYMBOL "tally_check_entry"

#if defined(__GNUC__)
#define TALLY_CHECK_PRINTF(fmt, first) __attribute__((format(printf, fmt, first)))
#else
#define TALLY_CHECK_PRINTF(fmt, first)
#endif

/* Opaque: one run's submission buffer, owned by the agent, valid during run() only. */
struct tally_check_ctx;

/* Service check status, with Datadog's values. */
enum tally_check_status {
	TALLY_CHECK_OK = 0,
	TALLY_CHECK_WARNING = 1,
	TALLY_CHECK_CRITICAL = 2,
	TALLY_CHECK_UNKNOWN = 3,
};

/* Levels of ops->log(). */
enum tally_check_log_level {
	TALLY_CHECK_LOG_ERROR = 0,
	TALLY_CHECK_LOG_WARN = 1,
	TALLY_CHECK_LOG_INFO = 2,
	TALLY_CHECK_LOG_DEBUG = 3,
};

/*
 * An event (Datadog's event: title, text, alert type...). Every string is borrowed for the
 * call; NULL means "absent" for all but title. This struct is frozen for ABI version 1.
 */
struct tally_check_event {
	const char *title;            /* required */
	const char *text;             /* may be NULL */
	const char *alert_type;       /* "info" (default), "warning", "error" or "success" */
	const char *priority;         /* "normal" (default) or "low" */
	const char *aggregation_key;  /* may be NULL */
	const char *source_type_name; /* may be NULL */
	int64_t timestamp;            /* Unix seconds; 0: now */
	const char *const *tags;      /* "key:value" strings, n_tags of them; may be NULL */
	size_t n_tags;
};

/*
 * What a check may call, handed to run(). Every op borrows its arguments for the call and
 * returns 0 when the submission was buffered, or a negative errno when it was dropped:
 * -EINVAL for an empty or overlong name (max 200 bytes), a non-finite value, more than 64
 * tags, or an unknown status; -ENOSPC when the run has already submitted 100000 items (the
 * agent also counts and logs the drops). A dropped submission never fails the run.
 *
 * Tags: `tags` points to n_tags "key:value" (or plain "value") strings; NULL with 0 is no
 * tags. The agent adds the instance's `tags:` and the agent's `tags:` itself, sorts and
 * de-duplicates them. A tag "host:NAME" sets the host of that one submission (DogStatsD
 * style) instead of the agent's hostname; "host:" alone means "no host".
 *
 * Metric semantics are Datadog's:
 *   gauge            the value now; last value wins within a flush interval.
 *   count            a number of things that happened during this run; summed per flush.
 *   rate             a raw, ever-growing counter read now. The agent keeps the previous raw
 *                    value (per instance, name, tags and host) and submits
 *                    (value - previous) / (seconds between the two runs) as a gauge. The
 *                    first sample only sets the baseline and submits nothing; a value lower
 *                    than the previous one (the counter was reset) submits nothing and
 *                    becomes the new baseline.
 *   monotonic_count  like rate, but submits the positive difference (value - previous) as a
 *                    count, not divided by time. First sample: nothing; going down: nothing,
 *                    new baseline. (1, 3, 5, 7 over four runs sends 2 + 2 + 2 = 6.)
 *   histogram        one observation; the agent aggregates a flush's observations into the
 *                    configured histogram_aggregates and histogram_percentiles.
 * Because the previous samples live in the agent, a check stays a stateless reader: it just
 * submits what it reads each run.
 */
struct tally_check_ops {
	uint32_t abi_version; /* TALLY_CHECK_ABI_VERSION of the agent */
	uint32_t struct_size; /* sizeof this struct in the agent: which ops exist */

	int (*gauge)(struct tally_check_ctx *ctx, const char *name, double value,
	             const char *const *tags, size_t n_tags);
	int (*count)(struct tally_check_ctx *ctx, const char *name, double value,
	             const char *const *tags, size_t n_tags);
	int (*rate)(struct tally_check_ctx *ctx, const char *name, double value,
	            const char *const *tags, size_t n_tags);
	int (*monotonic_count)(struct tally_check_ctx *ctx, const char *name, double value,
	                       const char *const *tags, size_t n_tags);
	int (*histogram)(struct tally_check_ctx *ctx, const char *name, double value,
	                 const char *const *tags, size_t n_tags);
	/*
	 * A service check: is the thing this check watches up? status is enum
	 * tally_check_status; message (may be NULL) says why, typically empty when OK.
	 */
	int (*service_check)(struct tally_check_ctx *ctx, const char *name,
	                     enum tally_check_status status, const char *const *tags, size_t n_tags,
	                     const char *message);
	/* An event; *ev and what it points to are borrowed for the call. */
	int (*event)(struct tally_check_ctx *ctx, const struct tally_check_event *ev);
	/*
	 * A log line in the agent's log, prefixed with the check's name and instance. A WARN
	 * line marks the run as "warning" in `tally status`; when run() fails, its last ERROR
	 * line becomes the instance's last error there.
	 */
	void (*log)(struct tally_check_ctx *ctx, enum tally_check_log_level level, const char *fmt,
	            ...) TALLY_CHECK_PRINTF(3, 4);
	/*
	 * Ops added after ABI version 1 go here, never above. A check tests each with
	 * TALLY_CHECK_HAS_OP before calling it: an older agent lacks it, or leaves it NULL.
	 */

	/*
	 * A gauge measured at timestamp (Unix seconds, > 0) rather than now, e.g. a value a
	 * command printed with its own epoch. Same limits and returns as gauge.
	 */
	int (*gauge_at)(struct tally_check_ctx *ctx, const char *name, double value,
	                int64_t timestamp, const char *const *tags, size_t n_tags);
	/*
	 * DogStatsD text (lines separated by \n, len bytes, need not be NUL-terminated) parsed
	 * by the agent's own DogStatsD parser and submitted as if received from the network,
	 * with this run's instance tags added. Returns the number of lines accepted (>= 0) and
	 * stores the number of malformed lines in *bad_lines (may be NULL); those are also
	 * counted in the agent's parse errors.
	 */
	int (*dogstatsd)(struct tally_check_ctx *ctx, const char *text, size_t len,
	                 size_t *bad_lines);
	/*
	 * Publishes tags for an entity, e.g. "container_id://<64 hex>": DogStatsD traffic whose
	 * origin is that entity (Unix-socket credentials, the |c: field, dd.internal.entity_id)
	 * gets them added. They replace what was published before for the entity and expire
	 * ttl_s seconds after the last publication. n_tags 0 forgets the entity.
	 */
	int (*entity_tags)(struct tally_check_ctx *ctx, const char *entity, const char *const *tags,
	                   size_t n_tags, uint32_t ttl_s);
};

/* True when the agent's ops table has op (e.g. TALLY_CHECK_HAS_OP(ops, event)). */
#define TALLY_CHECK_HAS_OP(ops, op)                                                                \
	((ops)->struct_size >= offsetof(struct tally_check_ops, op) + sizeof((ops)->op) &&         \
	 (ops)->op != NULL)

/* Types of instance config values, and what the bound field in the state must be. */
enum tally_check_conf_type {
	TALLY_CONF_END = 0, /* terminates the table: { 0 } */
	TALLY_CONF_STR,     /* const char *: NUL-terminated, owned by the agent */
	TALLY_CONF_INT,     /* int64_t */
	TALLY_CONF_DOUBLE,  /* double */
	TALLY_CONF_BOOL,    /* bool: true/false, yes/no, on/off, 1/0 */
	TALLY_CONF_STRLIST, /* struct tally_check_strlist: a YAML list (or one string) */
};

/* The bound value of a TALLY_CONF_STRLIST key; owned by the agent. */
struct tally_check_strlist {
	const char *const *items;
	size_t n;
};

/* Flags of a config key. */
#define TALLY_CONF_REQUIRED 0x1u /* an instance without this key is a configuration error */
/* STRLIST: one string is one item as written, never split at commas (a shell command). */
#define TALLY_CONF_WHOLE 0x2u
/* STRLIST: a map is accepted too, bound as "KEY=VALUE" items in its order (an environment). */
#define TALLY_CONF_PAIRS 0x4u

/*
 * One key an instance may set, bound into the state at offset. Where the value comes from:
 * the instance's own `key:`, else init_config's `key:`, else def (as YAML text, e.g. "15",
 * "true", "a,b" for a list; NULL leaves the field zero: NULL, 0, false or an empty list).
 * Values bound by the agent stay valid and unchanged until destroy() returns; the check must
 * not free or modify them. The agent reports an unknown key, a value of the wrong type or out
 * of range, and a missing required key as "FILE:LINE:COL: message" (and `tally configcheck`
 * lists them all); such an instance does not run.
 *
 * Keys every instance has without declaring them: min_collection_interval (seconds, default
 * 15), timeout (seconds a run may take, default the interval but at least 1), tags (list) and
 * service (adds the tag service:VALUE); init_config may set the first two for all instances.
 * A check that enforces a deadline on what it runs (the exec check kills its command) may
 * declare timeout itself, as a TALLY_CONF_DOUBLE: the value is then bound into its state too,
 * and the agent allows the run 2 s more than that before it reports the run as overdue.
 */
struct tally_check_conf {
	const char *key; /* NULL terminates the table */
	enum tally_check_conf_type type;
	uint32_t flags;  /* TALLY_CONF_REQUIRED or 0 */
	const char *def; /* default as YAML text, or NULL */
	size_t offset;   /* offsetof(struct my_state, field) */
	double min, max; /* INT and DOUBLE: accepted range; both 0 means any value */
	const char *doc; /* one line, shown by `tally configcheck` */
};

/* The largest state_size the agent accepts. */
#define TALLY_CHECK_MAX_STATE (16u << 20)

/* Descriptor flags. */
#define TALLY_CHECK_DEFAULT_INSTANCE 0x1u /* runs one instance (defaults only) with no conf.d */

/*
 * The descriptor a check exports; constant, static storage in the .so. The agent reads no
 * field beyond struct_size, so new fields are appended at the end only.
 */
struct tally_check_plugin {
	uint32_t abi_version; /* TALLY_CHECK_ABI_VERSION */
	uint32_t struct_size; /* sizeof(struct tally_check_plugin) */
	const char *name;     /* must equal the file name without ".so" */
	const char *version;  /* the check's own version, e.g. "1.0.0" */
	size_t state_size;    /* per-instance state the agent callocs: 0 to TALLY_CHECK_MAX_STATE */
	const struct tally_check_conf *conf; /* config keys, ended by { 0 }; NULL for none */
	uint32_t flags;                      /* TALLY_CHECK_DEFAULT_INSTANCE or 0 */
	/*
	 * Called once per instance, after the config is bound, on a worker thread, before the
	 * first run. May allocate into state. Returns 0, or a negative errno and a one-line
	 * reason in err (err_len bytes, NUL-terminated); the instance is then retried later with
	 * backoff. May be NULL.
	 */
	int (*init)(void *state, char *err, size_t err_len);
	/*
	 * One collection: read what the check watches and submit it through ops with ctx, both
	 * valid during this call only. Returns 0, or a negative errno when the run failed (a
	 * reason is logged with ops->log at ERROR level). What was submitted before a failure is
	 * still sent. A failing instance is retried at a doubling interval (capped) until a run
	 * succeeds. Required.
	 */
	int (*run)(void *state, const struct tally_check_ops *ops, struct tally_check_ctx *ctx);
	/* Frees what init() and run() allocated into state, not state itself. May be NULL. */
	void (*destroy)(void *state);
};

/* Bytes of the version 1 descriptor: the smallest struct_size the agent accepts. */
#define TALLY_CHECK_PLUGIN_SIZE_V1                                                                 \
	(offsetof(struct tally_check_plugin, destroy) + sizeof(void (*)(void *)))

/* Type of the one exported symbol. */
typedef const struct tally_check_plugin *(*tally_check_entry_fn)(void);

#if defined(__GNUC__)
#define TALLY_CHECK_EXPORT __attribute__((visibility("default")))
#else
#define TALLY_CHECK_EXPORT
#endif

/*
 * Defines the exported entry point returning &desc, e.g. at the end of my_check.c:
 *   static const struct tally_check_plugin my_check = { TALLY_CHECK_ABI_VERSION,
 *           sizeof(struct tally_check_plugin), "my_check", ... };
 *   TALLY_CHECK_DEFINE(my_check)
 */
#define TALLY_CHECK_DEFINE(desc)                                                                   \
	TALLY_CHECK_EXPORT const struct tally_check_plugin *tally_check_entry(void);               \
	TALLY_CHECK_EXPORT const struct tally_check_plugin *tally_check_entry(void)                \
	{                                                                                          \
		return &(desc);                                                                    \
	}

#ifdef __cplusplus
}
#endif

#endif
