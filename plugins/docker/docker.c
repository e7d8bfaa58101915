/*
 * docker: the Docker check. Each run lists the engine's containers and images over the Engine
 * API (engine.c), counts them per image, and for every running container reads its cgroups
 * (the cgroup library, through State.Pid) and <procfs_root>/<pid>/net/dev, falling back to
 * the engine's stats API for what those files cannot give (no host procfs, no cgroup mount).
 * docker.service_up says whether the engine answered, with the reason when it did not; every
 * request stops at the instance's timeout, so a dead or silent socket never stalls the agent.
 * Each container's tags are published for DogStatsD origin tagging (ops->entity_tags).
 */
#include "docker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#define DOCKER_MAX_IMAGES 256 /* distinct images counted per run; more go to "other" */

static const struct tally_check_conf docker_conf[] = {
	{ .key = "url",
	  .type = TALLY_CONF_STR,
	  .def = "unix:///var/run/docker.sock",
	  .offset = offsetof(struct docker_state, url),
	  .doc = "the engine: unix:///path/docker.sock or tcp://host:port" },
	{ .key = "timeout",
	  .type = TALLY_CONF_DOUBLE,
	  .def = "5",
	  .min = 0.1,
	  .max = 300,
	  .offset = offsetof(struct docker_state, timeout),
	  .doc = "seconds for connecting and for the whole run's requests" },
	{ .key = "procfs_root",
	  .type = TALLY_CONF_STR,
	  .offset = offsetof(struct docker_state, procfs_root),
	  .doc = "the host's /proc (default /host/proc when it exists, else /proc)" },
	{ .key = "cgroupfs_root",
	  .type = TALLY_CONF_STR,
	  .offset = offsetof(struct docker_state, cgroupfs_root),
	  .doc = "the host's cgroup mount (default /host/sys/fs/cgroup or /sys/fs/cgroup)" },
	{ .key = "include",
	  .type = TALLY_CONF_STRLIST,
	  .offset = offsetof(struct docker_state, include),
	  .doc = "key:regex rules; a container matching one is kept even if excluded" },
	{ .key = "exclude",
	  .type = TALLY_CONF_STRLIST,
	  .offset = offsetof(struct docker_state, exclude),
	  .doc = "key:regex rules over the container's tags, e.g. image_name:.*pause.*" },
	{ .key = "collect_labels_as_tags",
	  .type = TALLY_CONF_STRLIST,
	  .offset = offsetof(struct docker_state, labels_as_tags),
	  .doc = "container labels added as label:value tags" },
	{ .key = "performance_tags",
	  .type = TALLY_CONF_STRLIST,
	  .def = "container_name,docker_image,image_name,image_tag,short_image",
	  .offset = offsetof(struct docker_state, performance_tags),
	  .doc = "tags of per-container metrics; add container_id to opt in" },
	{ .key = "collect_images_stats",
	  .type = TALLY_CONF_BOOL,
	  .def = "true",
	  .offset = offsetof(struct docker_state, collect_images_stats),
	  .doc = "docker.images.available and docker.images.intermediate" },
	{ .key = "publish_entity_tags",
	  .type = TALLY_CONF_BOOL,
	  .def = "true",
	  .offset = offsetof(struct docker_state, publish_entity_tags),
	  .doc = "give DogStatsD traffic from a container that container's tags" },
	{ .key = "entity_tags_ttl",
	  .type = TALLY_CONF_INT,
	  .def = "300",
	  .min = 1,
	  .max = 86400,
	  .offset = offsetof(struct docker_state, entity_tags_ttl),
	  .doc = "seconds a container's published tags outlive its last run" },
	{ .key = "collect_events",
	  .type = TALLY_CONF_BOOL,
	  .def = "false",
	  .offset = offsetof(struct docker_state, collect_events),
	  .doc = "container events (start, die, oom, ...) since the previous run as events" },
	{ 0 },
};

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
docker_init(void *state, char *err, size_t err_len)
{
	struct docker_state *st = state;
	const char *bad = NULL;
	int rc;

	docker_tag_set_parse(&st->tagset, st->performance_tags.items, st->performance_tags.n, &bad);
	if (bad) {
		snprintf(err, err_len, "performance_tags: unknown tag %s", bad);
		return -EINVAL;
	}
	rc = docker_filter_compile(&st->inc, st->include.items, st->include.n, err, err_len);
	if (rc == 0)
		rc =
		    docker_filter_compile(&st->exc, st->exclude.items, st->exclude.n, err, err_len);
	if (rc < 0)
		return rc;
	tally_cg_default_roots("", st->procfs, sizeof(st->procfs), st->cgroupfs,
	                       sizeof(st->cgroupfs));
	if (st->procfs_root && st->procfs_root[0])
		snprintf(st->procfs, sizeof(st->procfs), "%s", st->procfs_root);
	if (st->cgroupfs_root && st->cgroupfs_root[0])
		snprintf(st->cgroupfs, sizeof(st->cgroupfs), "%s", st->cgroupfs_root);
	st->eng = docker_engine_new(st->url, st->timeout, err, err_len);
	if (!st->eng)
		return -EINVAL;
	/* set by `tally check docker --stats`: print the docker stats table instead */
	st->stats_table = getenv("TALLY_CHECK_STATS") != NULL;
	return 0;
}

static void
docker_destroy(void *state)
{
	struct docker_state *st = state;

	docker_engine_free(st->eng);
	docker_filter_clear(&st->inc);
	docker_filter_clear(&st->exc);
	if (st->have_mounts)
		tally_cg_mounts_clear(&st->mounts);
	free(st->prev);
	free(st->inspect);
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *x;

	return json_object_object_get_ex(o, key, &x) ? json_object_get_string(x) : NULL;
}

/* Image id -> its first repo tag, so that a container started from an id gets a name. */
static const char *
image_name_of(struct json_object *images, const char *image)
{
	size_t n = images ? json_object_array_length(images) : 0;

	if (strncmp(image, "sha256:", 7) != 0)
		return image;
	for (size_t i = 0; i < n; i++) {
		struct json_object *im = json_object_array_get_idx(images, i), *rt;
		const char *id = jstr(im, "Id");

		if (id && strcmp(id, image) == 0 &&
		    json_object_object_get_ex(im, "RepoTags", &rt) &&
		    json_object_array_length(rt) > 0)
			return json_object_get_string(json_object_array_get_idx(rt, 0));
	}
	return image;
}

/* Tags of one list entry: performance tags, labels; count_tags gets the image ones only. */
static void
ctr_tags(const struct docker_state *st, struct json_object *c, struct json_object *images,
         struct docker_ctr *out)
{
	struct json_object *names = NULL, *labels = NULL;
	const char *nm[16],
	    *image = image_name_of(images, jstr(c, "Image") ? jstr(c, "Image") : "");
	size_t n = 0;
	char iname[256], itag[128], ishort[128];

	if (json_object_object_get_ex(c, "Names", &names))
		for (; n < 16 && n < json_object_array_length(names); n++)
			nm[n] = json_object_get_string(json_object_array_get_idx(names, n));
	docker_container_name(nm, n, out->id, out->name, sizeof(out->name));
	docker_image_split(image, iname, sizeof(iname), itag, sizeof(itag), ishort, sizeof(ishort));
	if (st->tagset.container_name)
		docker_tags_add(&out->tags, "container_name", out->name);
	if (st->tagset.container_id)
		docker_tags_add(&out->tags, "container_id", out->id);
	if (st->tagset.docker_image)
		docker_tags_add(&out->tags, "docker_image", image);
	if (st->tagset.image_name)
		docker_tags_add(&out->tags, "image_name", iname);
	if (st->tagset.image_tag)
		docker_tags_add(&out->tags, "image_tag", itag);
	if (st->tagset.short_image)
		docker_tags_add(&out->tags, "short_image", ishort);
	if (json_object_object_get_ex(c, "Labels", &labels))
		for (size_t i = 0; i < st->labels_as_tags.n; i++) {
			const char *v = jstr(labels, st->labels_as_tags.items[i]);

			if (v)
				docker_tags_add(&out->tags, st->labels_as_tags.items[i], v);
		}
}

/* Per-image counts of running and stopped containers. */
struct img_count {
	char *image;
	unsigned running, stopped;
};

static void
count_ctr(struct img_count *ic, size_t *n_ic, const char *image, bool running)
{
	size_t i;

	for (i = 0; i < *n_ic; i++)
		if (strcmp(ic[i].image, image) == 0)
			break;
	if (i == *n_ic) {
		if (i == DOCKER_MAX_IMAGES || !(ic[i].image = strdup(image)))
			return;
		ic[i].running = ic[i].stopped = 0;
		(*n_ic)++;
	}
	if (running)
		ic[i].running++;
	else
		ic[i].stopped++;
}

static void
submit_counts(const struct tally_check_ops *ops, struct tally_check_ctx *ctx, struct img_count *ic,
              size_t n_ic)
{
	unsigned run = 0, stop = 0;

	for (size_t i = 0; i < n_ic; i++) {
		struct docker_tags t = { .n = 0 };
		char iname[256], itag[128], ishort[128];

		docker_image_split(ic[i].image, iname, sizeof(iname), itag, sizeof(itag), ishort,
		                   sizeof(ishort));
		docker_tags_add(&t, "docker_image", ic[i].image);
		docker_tags_add(&t, "image_name", iname);
		docker_tags_add(&t, "image_tag", itag);
		ops->gauge(ctx, "docker.containers.running", ic[i].running,
		           (const char *const *)t.items, t.n);
		ops->gauge(ctx, "docker.containers.stopped", ic[i].stopped,
		           (const char *const *)t.items, t.n);
		run += ic[i].running;
		stop += ic[i].stopped;
		docker_tags_clear(&t);
		free(ic[i].image);
	}
	ops->gauge(ctx, "docker.containers.running.total", run, NULL, 0);
	ops->gauge(ctx, "docker.containers.stopped.total", stop, NULL, 0);
}

static int64_t
parse_started(const char *s)
{
	struct tm tm = { 0 };

	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) || tm.tm_year < 100)
		return 0; /* "0001-01-01T00:00:00Z" is "never started" */
	return (int64_t)timegm(&tm);
}

/* The container's Docker networks from inspect, to name its interfaces' networks. */
static void
ctr_networks(struct json_object *inspect, struct docker_ctr *c)
{
	struct json_object *ns, *nets, *pl;

	if (!json_object_object_get_ex(inspect, "NetworkSettings", &ns) ||
	    !json_object_object_get_ex(ns, "Networks", &nets) ||
	    !json_object_is_type(nets, json_type_object))
		return;
	json_object_object_foreach(nets, name, v)
	{
		struct docker_net *n;
		const char *ip = jstr(v, "IPAddress");

		if (c->n_nets == DOCKER_MAX_IFS)
			break;
		n = &c->nets[c->n_nets++];
		snprintf(n->name, sizeof(n->name), "%s", name);
		snprintf(n->ip, sizeof(n->ip), "%s", ip ? ip : "");
		n->prefix_len =
		    json_object_object_get_ex(v, "IPPrefixLen", &pl) ? json_object_get_int(pl) : 0;
	}
}

static int64_t
jint(struct json_object *o, const char *key)
{
	struct json_object *x;

	return json_object_object_get_ex(o, key, &x) ? json_object_get_int64(x) : 0;
}

/* What HostConfig limits: docker.cpu.limit, .cpu.shares, .mem.soft_limit, .mem.sw_limit. */
static void
ctr_limits(struct json_object *inspect, struct docker_ctr *c)
{
	struct json_object *hc;
	int64_t nano, quota, period;

	if (!json_object_object_get_ex(inspect, "HostConfig", &hc))
		return;
	nano = jint(hc, "NanoCpus");
	quota = jint(hc, "CpuQuota");
	period = jint(hc, "CpuPeriod");
	if (nano > 0)
		c->lim.cpu_cores = (double)nano / 1e9;
	else if (quota > 0)
		c->lim.cpu_cores = (double)quota / (double)(period > 0 ? period : 100000);
	c->lim.cpu_shares = jint(hc, "CpuShares");
	c->lim.mem_soft = jint(hc, "MemoryReservation");
	c->lim.mem_swap = jint(hc, "MemorySwap");
}

/*
 * Inspect for the pid, then the host's files. Returns true when the stats API must fill in
 * what they lacked (fetched for all such containers at once: fill_from_api).
 */
static bool
sample_ctr(struct docker_state *st, struct docker_ctr *c)
{
	struct json_object *j = NULL, *state = NULL, *pid = NULL;
	char path[512];

	snprintf(path, sizeof(path), "/containers/%s/json", c->id);
	if (!docker_inspect_lookup(st, c) && docker_engine_get(st->eng, path, &j) == 0 &&
	    json_object_object_get_ex(j, "State", &state)) {
		if (json_object_object_get_ex(state, "Pid", &pid))
			c->pid = json_object_get_int(pid);
		c->started_s = parse_started(jstr(state, "StartedAt"));
		ctr_networks(j, c);
		ctr_limits(j, c);
		docker_inspect_store(st, c);
	}
	json_object_put(j);
	j = NULL;
	if (c->pid > 0 && st->have_mounts &&
	    tally_cg_read_pid(&st->mounts, st->procfs, c->pid, &c->s.cg) < 0)
		memset(&c->s.cg, 0, sizeof(c->s.cg));
	if (c->host_net)
		c->s.has_net = true; /* no interface of its own (n_if 0), as the engine reports */
	else if (c->pid > 0)
		docker_netdev_read(st->procfs, c->pid, &c->s);
	return !c->s.cg.has || !c->s.has_net;
}

/* The stats API for the containers cs[idx[0..n)], concurrently. */
static void
fill_from_api(struct docker_state *st, const struct tally_check_ops *ops,
              struct tally_check_ctx *ctx, struct docker_ctr *cs, const size_t *idx, size_t n)
{
	char **paths = calloc(n, sizeof(*paths));
	struct json_object **out = calloc(n, sizeof(*out));
	size_t ok = 0;

	for (size_t i = 0; paths && i < n; i++)
		if (asprintf(&paths[i], "/containers/%s/stats?stream=false&one-shot=true",
		             cs[idx[i]].id) < 0)
			paths[i] = NULL;
	for (size_t i = 0; paths && i < n; i++)
		if (!paths[i])
			goto out;
	if (out)
		ok = docker_engine_get_many(st->eng, (const char *const *)paths, n, out);
	for (size_t i = 0; out && i < n; i++)
		if (out[i])
			docker_sample_from_api(out[i], &cs[idx[i]].s);
	if (ok < n)
		ops->log(ctx, TALLY_CHECK_LOG_WARN, "stats API: %zu of %zu containers failed: %s",
		         n - ok, n, docker_engine_error(st->eng));
out:
	for (size_t i = 0; i < n; i++) {
		if (paths)
			free(paths[i]);
		if (out)
			json_object_put(out[i]);
	}
	free(paths);
	free(out);
}

static void
publish_tags(struct docker_state *st, const struct tally_check_ops *ops,
             struct tally_check_ctx *ctx, const struct docker_ctr *c)
{
	char entity[96];
	struct docker_tags t = { .n = 0 };

	if (!st->publish_entity_tags || !TALLY_CHECK_HAS_OP(ops, entity_tags))
		return;
	/* the container's own tags, without container_id: origin detection already adds it */
	for (size_t i = 0; i < c->tags.n; i++)
		if (strncmp(c->tags.items[i], "container_id:", 13) != 0)
			docker_tags_add(&t, NULL, c->tags.items[i]);
	snprintf(entity, sizeof(entity), "container_id://%s", c->id);
	ops->entity_tags(ctx, entity, (const char *const *)t.items, t.n,
	                 (uint32_t)st->entity_tags_ttl);
	docker_tags_clear(&t);
}

static bool
network_mode_host(struct json_object *c)
{
	struct json_object *hc;
	const char *mode;

	if (!json_object_object_get_ex(c, "HostConfig", &hc))
		return false;
	mode = jstr(hc, "NetworkMode");
	return mode && strcmp(mode, "host") == 0;
}

static bool
is_running(const char *state)
{
	return state && (strcmp(state, "running") == 0 || strcmp(state, "paused") == 0 ||
	                 strcmp(state, "restarting") == 0);
}

static void
images_stats(struct docker_state *st, const struct tally_check_ops *ops,
             struct tally_check_ctx *ctx, struct json_object *images)
{
	struct json_object *all = NULL;
	size_t top = json_object_array_length(images);

	ops->gauge(ctx, "docker.images.available", (double)top, NULL, 0);
	if (docker_engine_get(st->eng, "/images/json?all=1", &all) == 0 &&
	    json_object_is_type(all, json_type_array)) {
		size_t n = json_object_array_length(all);

		ops->gauge(ctx, "docker.images.intermediate", (double)(n > top ? n - top : 0), NULL,
		           0);
	}
	json_object_put(all);
}

static int
engine_down(struct docker_state *st, const struct tally_check_ops *ops, struct tally_check_ctx *ctx,
            int rc)
{
	const char *why = docker_engine_error(st->eng);

	ops->service_check(ctx, "docker.service_up", TALLY_CHECK_CRITICAL, NULL, 0, why);
	ops->log(ctx, TALLY_CHECK_LOG_ERROR, "docker engine: %s", why);
	docker_engine_reset(st->eng); /* it may come back as another version */
	/* the agent reads -ETIMEDOUT from run() as "the run overran", which this is not */
	return rc == -ETIMEDOUT ? -EIO : rc;
}

static void
collect_ctrs(struct docker_state *st, const struct tally_check_ops *ops,
             struct tally_check_ctx *ctx, struct json_object *list, struct json_object *images)
{
	size_t n = json_object_array_length(list), n_run = 0, n_ic = 0;
	struct docker_ctr *cs = calloc(n ? n : 1, sizeof(*cs));
	struct img_count *ic = calloc(DOCKER_MAX_IMAGES, sizeof(*ic));
	size_t *need_api = calloc(n ? n : 1, sizeof(*need_api)), n_api = 0;
	int64_t now = (int64_t)time(NULL);

	if (!cs || !ic || !need_api) {
		ops->log(ctx, TALLY_CHECK_LOG_ERROR, "out of memory for %zu containers", n);
		free(cs);
		free(ic);
		free(need_api);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(list, i);
		struct docker_ctr *d = &cs[n_run];
		bool running = is_running(jstr(c, "State"));
		const char *img = image_name_of(images, jstr(c, "Image") ? jstr(c, "Image") : "");

		memset(d, 0, sizeof(*d)); /* a slot a skipped container used before */
		d->id = jstr(c, "Id");
		if (!d->id)
			continue;
		ctr_tags(st, c, images, d);
		if (docker_filter_match(&st->exc, d->tags.items, d->tags.n) &&
		    !docker_filter_match(&st->inc, d->tags.items, d->tags.n)) {
			docker_tags_clear(&d->tags);
			continue;
		}
		count_ctr(ic, &n_ic, img, running);
		if (!running) {
			docker_tags_clear(&d->tags);
			continue;
		}
		d->host_net = network_mode_host(c);
		if (sample_ctr(st, d))
			need_api[n_api++] = n_run;
		n_run++;
	}
	docker_inspect_sweep(st);
	if (n_api)
		fill_from_api(st, ops, ctx, cs, need_api, n_api);
	for (size_t i = 0; i < n_run; i++) {
		docker_netmap_pid(st->procfs, cs[i].pid, cs[i].nets, cs[i].n_nets, &cs[i].s);
		if (!st->stats_table)
			docker_submit_ctr(ops, ctx, &cs[i], now);
		publish_tags(st, ops, ctx, &cs[i]);
	}
	submit_counts(ops, ctx, ic, n_ic);
	if (st->stats_table)
		docker_stats_table(st, cs, n_run, mono_s());
	for (size_t i = 0; i < n_run; i++)
		docker_tags_clear(&cs[i].tags);
	free(cs);
	free(ic);
	free(need_api);
}

static int
docker_run(void *state, const struct tally_check_ops *ops, struct tally_check_ctx *ctx)
{
	struct docker_state *st = state;
	struct json_object *list = NULL, *images = NULL;
	int rc;

	docker_engine_set_deadline(st->eng, mono_s() + st->timeout);
	st->run_no++;
	rc = docker_engine_get(st->eng, "/containers/json?all=1", &list);
	if (rc == 0 && !json_object_is_type(list, json_type_array)) {
		json_object_put(list);
		ops->service_check(ctx, "docker.service_up", TALLY_CHECK_CRITICAL, NULL, 0,
		                   "/containers/json: the answer is not a list");
		return -EPROTO;
	}
	if (rc < 0)
		return engine_down(st, ops, ctx, rc);
	if (!st->have_mounts)
		st->have_mounts =
		    tally_cg_mounts_discover(&st->mounts, st->procfs, st->cgroupfs) == 0;
	if (docker_engine_get(st->eng, "/images/json", &images) == 0 &&
	    !json_object_is_type(images, json_type_array)) {
		json_object_put(images);
		images = NULL;
	}
	collect_ctrs(st, ops, ctx, list, images);
	if (images && st->collect_images_stats)
		images_stats(st, ops, ctx, images);
	if (st->collect_events && TALLY_CHECK_HAS_OP(ops, event))
		docker_collect_events(st, ops, ctx);
	ops->service_check(ctx, "docker.service_up", TALLY_CHECK_OK, NULL, 0, "");
	json_object_put(images);
	json_object_put(list);
	return 0;
}

static const struct tally_check_plugin docker_check = {
	.abi_version = TALLY_CHECK_ABI_VERSION,
	.struct_size = sizeof(struct tally_check_plugin),
	.name = "docker",
	.version = "1.0.0",
	.state_size = sizeof(struct docker_state),
	.conf = docker_conf,
	.flags = 0,
	.init = docker_init,
	.run = docker_run,
	.destroy = docker_destroy,
};

TALLY_CHECK_DEFINE(docker_check)
