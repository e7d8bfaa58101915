#include "output.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

struct tally_output *
tally_output_new(const struct tally_output_conf *oc, const struct tally_config *cfg,
		 struct event_base *base, char *err, size_t err_len)
{
	if (strcmp(oc->type, "console") == 0)
		return tally_out_console_new();
	snprintf(err, err_len, "output type \"%s\" is not available in this build", oc->type);
	return NULL;
}
