/*
 * origin: which container sent a Unix-socket datagram. The kernel attaches the sender's pid
 * (SO_PASSCRED); the container id is the 64-hex path element of its cgroup in
 * /proc/PID/cgroup (docker's "/docker/ID", systemd's "docker-ID.scope", kubepods alike), as the
 * Datadog agent resolves it. Results, "no container" included, are cached for a minute per pid.
 * Receiver thread only.
 */
#ifndef TALLY_CORE_ORIGIN_H
#define TALLY_CORE_ORIGIN_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define TALLY_ORIGIN_TAG_MAX 96 /* "container_id:" + 64 hex + NUL, with room */

struct tally_origin;

/* proc_root: where procfs is mounted ("/proc"; "/host/proc" from a container). Copied. */
struct tally_origin *tally_origin_new(const char *proc_root);
/* Accepts NULL. */
void tally_origin_free(struct tally_origin *o);

/*
 * Returns the "container_id:ID" tag of pid's container, or NULL when it has none (or pid is 0:
 * a sender in a pid namespace the agent cannot see). The string stays valid until the next
 * call.
 */
const char *tally_origin_tag(struct tally_origin *o, pid_t pid, int64_t now_s);

/*
 * Finds the container id in the text of a /proc/PID/cgroup file: copies it into id (65 bytes)
 * and returns 0, or -ENOENT. Pure; exposed for tests.
 */
int tally_origin_parse_cgroup(const char *text, size_t len, char *id);

#endif
