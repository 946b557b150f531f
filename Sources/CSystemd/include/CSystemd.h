#ifndef TALLY_CSYSTEMD_H
#define TALLY_CSYSTEMD_H

// libsystemd's sd-daemon API (sd_notify, sd_listen_fds_with_names, sd_is_socket_*, sd_watchdog_enabled), loaded
// with dlopen(3) the first time a call needs it rather than linked.
//
// Linking libsystemd.so.0 makes every start of the binary map and relocate it and the six libraries it needs
// (libgcrypt, liblzma, libzstd, ...), about 1 ms of each start on a small VM, and `tally push`, which shell scripts
// start once per line, never talks to systemd. Outside systemd (the variable a call reads is unset) the calls
// answer as libsystemd does without loading it. When libsystemd.so.0 cannot be loaded, a call that needs it returns
// -ELIBACC and tally_systemd_load_error() says why. tally never has libsystemd unset the environment (every later
// notification needs it), so the calls pass unset_environment = 0.
//
// The declarations come from libsystemd-dev's header, so the pointers loaded are checked against them.

#include <systemd/sd-daemon.h>

int tally_sd_notify(const char *state);
int tally_sd_listen_fds_with_names(char ***names);
int tally_sd_is_socket_inet(int fd, int family, int type, int listening, uint16_t port);
int tally_sd_is_socket_unix(int fd, int type, int listening, const char *path, size_t length);
int tally_sd_watchdog_enabled(uint64_t *usec);

/// Why libsystemd.so.0 could not be loaded (dlerror(3)'s message), or NULL when it loaded or was not needed. Call it
/// after a call returned -ELIBACC.
const char *tally_systemd_load_error(void);

#endif
