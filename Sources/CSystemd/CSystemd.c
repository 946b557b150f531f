#include "CSystemd.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static struct {
    __typeof__(sd_notify) *notify;
    __typeof__(sd_listen_fds_with_names) *listen_fds_with_names;
    __typeof__(sd_is_socket_inet) *is_socket_inet;
    __typeof__(sd_is_socket_unix) *is_socket_unix;
    __typeof__(sd_watchdog_enabled) *watchdog_enabled;
    const char *error;
} library;

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void load_library(void) {
    // RTLD_NODELETE: the functions stay valid for the life of the process.
    void *handle = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (handle == NULL) {
        // dlerror's buffer is reused by the next dl* call; keep a copy.
        const char *reason = dlerror();
        library.error = reason != NULL ? strdup(reason) : NULL;
        if (library.error == NULL) library.error = "libsystemd.so.0 cannot be loaded";
        return;
    }
    library.notify = (__typeof__(sd_notify) *)dlsym(handle, "sd_notify");
    library.listen_fds_with_names =
        (__typeof__(sd_listen_fds_with_names) *)dlsym(handle, "sd_listen_fds_with_names");
    library.is_socket_inet = (__typeof__(sd_is_socket_inet) *)dlsym(handle, "sd_is_socket_inet");
    library.is_socket_unix = (__typeof__(sd_is_socket_unix) *)dlsym(handle, "sd_is_socket_unix");
    library.watchdog_enabled = (__typeof__(sd_watchdog_enabled) *)dlsym(handle, "sd_watchdog_enabled");
    if (library.notify == NULL || library.listen_fds_with_names == NULL || library.is_socket_inet == NULL
        || library.is_socket_unix == NULL || library.watchdog_enabled == NULL) {
        library.notify = NULL;
        library.error = "libsystemd.so.0 lacks an sd-daemon function (systemd older than 227?)";
    }
}

/// Whether libsystemd is loaded, loading it on the first call.
static int loaded(void) {
    pthread_once(&library_once, load_library);
    return library.notify != NULL;
}

const char *tally_systemd_load_error(void) {
    return library.error;
}

int tally_sd_notify(const char *state) {
    // libsystemd returns 0 without a NOTIFY_SOCKET.
    if (getenv("NOTIFY_SOCKET") == NULL) return 0;
    return loaded() ? library.notify(0, state) : -ELIBACC;
}

int tally_sd_listen_fds_with_names(char ***names) {
    // Without LISTEN_PID libsystemd passes no descriptors and leaves *names alone.
    if (getenv("LISTEN_PID") == NULL) return 0;
    return loaded() ? library.listen_fds_with_names(0, names) : -ELIBACC;
}

int tally_sd_is_socket_inet(int fd, int family, int type, int listening, uint16_t port) {
    return loaded() ? library.is_socket_inet(fd, family, type, listening, port) : -ELIBACC;
}

int tally_sd_is_socket_unix(int fd, int type, int listening, const char *path, size_t length) {
    return loaded() ? library.is_socket_unix(fd, type, listening, path, length) : -ELIBACC;
}

int tally_sd_watchdog_enabled(uint64_t *usec) {
    // libsystemd returns 0 without WATCHDOG_USEC.
    if (getenv("WATCHDOG_USEC") == NULL) return 0;
    return loaded() ? library.watchdog_enabled(0, usec) : -ELIBACC;
}
