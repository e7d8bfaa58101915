/*
 * check_tags: ops->entity_tags. A check (docker) publishes an entity's tags to the process's
 * tagger, where the receiver finds them for traffic from that entity (tagger.h).
 */
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include <tally/check.h>

#include "check_sink.h"
#include "log.h"
#include "tagger.h"

int
tally_check_sink_entity_tags(struct tally_check_ctx *ctx, const char *entity,
                             const char *const *tags, size_t n_tags, uint32_t ttl_s)
{
	int rc;

	(void)ctx;
	if (!entity || !entity[0] || n_tags > TALLY_CHECK_MAX_TAGS || (n_tags && !tags) ||
	    ttl_s == 0)
		return -EINVAL;
	rc = tally_tagger_publish(entity, tags, n_tags, ttl_s, (int64_t)time(NULL));
	if (rc < 0)
		tally_log(TALLY_LOG_DEBUG, "tagger", "entity tags refused entity=%s rc=%d", entity,
		          rc);
	return rc;
}
