#include "output.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "out_graphite.h"
#include "out_http.h"
#include "out_prom.h"

struct tally_output *
tally_output_new(const struct tally_output_conf *oc, const struct tally_config *cfg,
                 struct event_base *base, char *err, size_t err_len)
{
	if (strcmp(oc->type, "console") == 0)
		return tally_out_console_new();
	if (strcmp(oc->type, "datadog") == 0)
		return tally_out_datadog_new(cfg, base, err, err_len);
	if (strcmp(oc->type, "influxdb") == 0)
		return tally_out_influxdb_new(oc, cfg, base, err, err_len);
	if (strcmp(oc->type, "graphite") == 0)
		return tally_out_graphite_new(oc, cfg, base, err, err_len);
	if (strcmp(oc->type, "prometheus") == 0)
		return tally_out_prom_new(oc, cfg, base, err, err_len);
	snprintf(err, err_len, "output type \"%s\" is not available in this build", oc->type);
	return NULL;
}
