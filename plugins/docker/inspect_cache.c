/*
 * inspect_cache.c: what a container's inspect gave (pid, start time, networks), kept between
 * runs of one instance so a run does not ask the engine again for every container. An entry
 * is trusted only while <procfs_root>/<pid>/cgroup still names the container (a restart
 * gives a new pid); containers absent from a run's list are forgotten.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker.h"

struct docker_inspect {
	char id[65];
	int pid;
	int64_t started_s;
	struct docker_net nets[DOCKER_MAX_IFS];
	size_t n_nets;
	struct docker_limits lim;
	uint64_t seen_run;
};

/* True when pid's cgroup file still names container id. */
static bool
pid_is_container(const char *procfs, int pid, const char *id)
{
	char path[512], buf[8192];
	ssize_t n;
	int fd;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "%s/%d/cgroup", procfs, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, id) != NULL;
}

bool
docker_inspect_lookup(struct docker_state *st, struct docker_ctr *c)
{
	for (size_t i = 0; i < st->n_inspect; i++) {
		struct docker_inspect *e = &st->inspect[i];

		if (strcmp(e->id, c->id) != 0)
			continue;
		if (!pid_is_container(st->procfs, e->pid, e->id))
			return false;
		e->seen_run = st->run_no;
		c->pid = e->pid;
		c->started_s = e->started_s;
		memcpy(c->nets, e->nets, sizeof(c->nets));
		c->n_nets = e->n_nets;
		c->lim = e->lim;
		return true;
	}
	return false;
}

void
docker_inspect_store(struct docker_state *st, const struct docker_ctr *c)
{
	struct docker_inspect *e = NULL;

	if (c->pid <= 0)
		return;
	for (size_t i = 0; i < st->n_inspect && !e; i++)
		if (strcmp(st->inspect[i].id, c->id) == 0)
			e = &st->inspect[i];
	if (!e) {
		if (st->n_inspect == st->cap_inspect) {
			size_t cap = st->cap_inspect ? st->cap_inspect * 2 : 16;
			struct docker_inspect *a = realloc(st->inspect, cap * sizeof(*a));

			if (!a)
				return; /* no cache entry: the next run inspects again */
			st->inspect = a;
			st->cap_inspect = cap;
		}
		e = &st->inspect[st->n_inspect++];
	}
	snprintf(e->id, sizeof(e->id), "%s", c->id);
	e->pid = c->pid;
	e->started_s = c->started_s;
	memcpy(e->nets, c->nets, sizeof(e->nets));
	e->n_nets = c->n_nets;
	e->lim = c->lim;
	e->seen_run = st->run_no;
}

void
docker_inspect_sweep(struct docker_state *st)
{
	size_t k = 0;

	for (size_t i = 0; i < st->n_inspect; i++)
		if (st->inspect[i].seen_run == st->run_no)
			st->inspect[k++] = st->inspect[i];
	st->n_inspect = k;
}
