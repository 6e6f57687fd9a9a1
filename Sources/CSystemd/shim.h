#ifndef CSYSTEMD_SHIM_H
#define CSYSTEMD_SHIM_H

/// Without this, sd-journal.h turns sd_journal_sendv into a macro that adds
/// CODE_FILE/CODE_LINE fields pointing into this shim instead of at the caller.
#define SD_JOURNAL_SUPPRESS_LOCATION 1

#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-bus.h>

#endif
