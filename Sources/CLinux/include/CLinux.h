#ifndef TALLY_CLINUX_H
#define TALLY_CLINUX_H

// Linux interfaces that the Swift Glibc module does not export: epoll(7), eventfd(2), signalfd(2), and, through
// wrappers compiled with _GNU_SOURCE in CLinux.c, accept4(2), SO_PEERCRED, SCM_CREDENTIALS,
// pthread_setname_np(3) and adjtimex(2). _GNU_SOURCE must not be defined here: this header is imported next to the
// Glibc module, and a different feature set in the two would make their declarations clash.

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>

/// The credentials of a peer process, the layout-independent twin of `struct ucred` (unix(7)).
typedef struct {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
} tally_credentials;

/// accept4(2) with `SOCK_NONBLOCK | SOCK_CLOEXEC`. Returns the new descriptor, or -1 with errno set.
int tally_accept(int fd, struct sockaddr *address, socklen_t *address_length);

/// getsockopt(SO_PEERCRED): the credentials of the process that connected a UNIX stream socket (taken at
/// connect(2) time). Returns 0, or -1 with errno set.
int tally_peer_credentials(int fd, tally_credentials *credentials);

/// setsockopt(SO_PASSCRED, 1): ask the kernel to attach SCM_CREDENTIALS to every datagram received on `fd`.
/// Returns 0, or -1 with errno set.
int tally_enable_credential_passing(int fd);

/// recvmsg(2) on a UNIX socket with SO_PASSCRED enabled. Stores the sender's credentials when the kernel attached
/// SCM_CREDENTIALS (`*has_credentials` = 1) and whether the datagram was longer than `length` (`*truncated` = 1).
/// Descriptors a sender passed with SCM_RIGHTS are closed, never leaked. Returns the byte count, or -1 with errno set.
ssize_t tally_receive_with_credentials(
    int fd, void *buffer, size_t length, tally_credentials *credentials, int *has_credentials, int *truncated);

/// pthread_setname_np(3) on the calling thread; the kernel keeps at most 15 bytes, so longer names are cut.
/// Returns 0 or an error number.
int tally_set_current_thread_name(const char *name);

/// mallopt(M_MMAP_THRESHOLD, bytes): a fixed threshold above which glibc maps allocations (and unmaps them when
/// freed) instead of carving them from the heap. Returns 1 on success, 0 on error.
int tally_set_mmap_threshold(int bytes);

/// mallopt(M_ARENA_MAX, count): at most `count` malloc arenas. glibc otherwise gives each thread that allocates an
/// arena of its own, each with its own partly used pages. Returns 1 on success, 0 on error.
int tally_set_malloc_arena_limit(int count);

/// The fields of `struct timex` (adjtimex(2)) as plain integers, the layout-independent twin of that struct with its
/// bitfield padding.
typedef struct {
    int64_t offset;
    int64_t frequency;
    int64_t maximum_error;
    int64_t estimated_error;
    int32_t status;
    int64_t constant;
    int64_t precision;
    int64_t tolerance;
    int64_t tick;
    int64_t pps_frequency;
    int64_t jitter;
    int32_t shift;
    int64_t stability;
    int64_t jitter_count;
    int64_t calibration_count;
    int64_t error_count;
    int64_t stability_exceeded_count;
    int32_t tai;
} tally_timex;

/// adjtimex(2) with `modes` 0: reads the kernel clock's discipline state without changing it. Returns the clock state
/// (`TIME_OK` 0 … `TIME_ERROR` 5), or -1 with errno set.
int tally_read_timex(tally_timex *result);

#endif
