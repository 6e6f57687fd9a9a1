#ifndef CRRD_SHIM_H
#define CRRD_SHIM_H

/// librrd's public header. rrd_client.h (rrdcached) must come after rrd.h,
/// because it uses rrd_info_t and rrd_value_t without including rrd.h itself.
#include <time.h>
#include <rrd.h>
#include <rrd_client.h>

/// RRD_SKIP_PAST_UPDATES is a macro; Swift imports it, but naming it here with a
/// prefixed constant keeps every librrd flag we rely on in one visible place.
static const int CRRD_SKIP_PAST_UPDATES = RRD_SKIP_PAST_UPDATES;

#endif
