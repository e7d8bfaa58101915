#include "fwd_policy.h"

enum tally_fwd_outcome
tally_fwd_classify(long http_status, int transport_error)
{
	if (transport_error)
		return TALLY_FWD_RETRY;
	if (http_status >= 200 && http_status < 300)
		return TALLY_FWD_SENT;
	switch (http_status) {
	case 400: /* malformed: resending the same bytes cannot help */
	case 403: /* invalid API key */
	case 413: /* too large */
		return TALLY_FWD_DROP;
	default:
		/* 404 (proxies, regional intakes warming up), 408, 429, 5xx, anything else */
		return TALLY_FWD_RETRY;
	}
}

int64_t
tally_fwd_backoff_ms(int n_errors, double u)
{
	int64_t t = TALLY_FWD_BACKOFF_BASE_MS;

	if (n_errors <= 0)
		return 0;
	for (int i = 0; i < n_errors && t < TALLY_FWD_BACKOFF_MAX_MS; i++)
		t *= 2;
	if (t >= TALLY_FWD_BACKOFF_MAX_MS)
		return TALLY_FWD_BACKOFF_MAX_MS;
	if (u < 0)
		u = 0;
	if (u >= 1)
		u = 0.999999;
	return t / 2 + (int64_t)(u * (double)(t / 2));
}

const char *
tally_fwd_breaker_state_name(enum tally_fwd_breaker_state state)
{
	switch (state) {
	case TALLY_FWD_BLOCKED:
		return "blocked";
	case TALLY_FWD_HALF_BLOCKED:
		return "probing";
	case TALLY_FWD_UNBLOCKED:
	default:
		return "closed";
	}
}

bool
tally_fwd_breaker_can_send(const struct tally_fwd_breaker *br, int64_t now_ms)
{
	switch (br->state) {
	case TALLY_FWD_UNBLOCKED:
		return true;
	case TALLY_FWD_BLOCKED:
		return now_ms >= br->until_ms;
	case TALLY_FWD_HALF_BLOCKED:
	default:
		return false;
	}
}

void
tally_fwd_breaker_on_send(struct tally_fwd_breaker *br, int64_t now_ms)
{
	if (br->state == TALLY_FWD_BLOCKED && now_ms >= br->until_ms)
		br->state = TALLY_FWD_HALF_BLOCKED;
}

static void
block(struct tally_fwd_breaker *br, int64_t now_ms, double u)
{
	br->state = TALLY_FWD_BLOCKED;
	br->until_ms = now_ms + tally_fwd_backoff_ms(br->n_errors, u);
}

void
tally_fwd_breaker_on_success(struct tally_fwd_breaker *br, int64_t now_ms, double u)
{
	if (br->state == TALLY_FWD_BLOCKED)
		return; /* a result from before the block: ignored */
	br->n_errors -= TALLY_FWD_RECOVERY_INTERVAL;
	if (br->n_errors <= 0) {
		br->n_errors = 0;
		br->state = TALLY_FWD_UNBLOCKED;
		br->until_ms = 0;
		return;
	}
	block(br, now_ms, u);
}

void
tally_fwd_breaker_on_failure(struct tally_fwd_breaker *br, int64_t now_ms, double u)
{
	if (br->state == TALLY_FWD_BLOCKED)
		return; /* a result from before the block: ignored */
	if (br->n_errors < TALLY_FWD_MAX_ERRORS)
		br->n_errors++;
	block(br, now_ms, u);
}

void
tally_fwd_breaker_expire(struct tally_fwd_breaker *br, int64_t now_ms)
{
	if (br->state == TALLY_FWD_BLOCKED && br->until_ms > now_ms)
		br->until_ms = now_ms;
}
