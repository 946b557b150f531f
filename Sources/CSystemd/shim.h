/* libsystemd's sd-daemon API (sd_notify, sd_listen_fds_with_names, sd_is_socket_*, sd_watchdog_enabled) for the
 * Systemd module. The library comes from the libsystemd-dev package, found through pkg-config "libsystemd". */
#ifndef TALLY_CSYSTEMD_SHIM_H
#define TALLY_CSYSTEMD_SHIM_H

#include <systemd/sd-daemon.h>

#endif
