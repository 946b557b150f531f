// accept4, struct ucred, SO_PEERCRED, SCM_CREDENTIALS and pthread_setname_np are GNU extensions.
#define _GNU_SOURCE 1

#include <malloc.h>
#include <stdint.h>
#include "CLinux.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <unistd.h>

int tally_accept(int fd, struct sockaddr *address, socklen_t *address_length) {
    return accept4(fd, address, address_length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int tally_peer_credentials(int fd, tally_credentials *credentials) {
    struct ucred peer;
    socklen_t length = sizeof(peer);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) {
        return -1;
    }
    credentials->pid = peer.pid;
    credentials->uid = peer.uid;
    credentials->gid = peer.gid;
    return 0;
}

int tally_enable_credential_passing(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
}

/// Closes every descriptor carried by an SCM_RIGHTS message.
static void close_passed_descriptors(struct cmsghdr *message) {
    size_t count = (message->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t index = 0; index < count; index++) {
        int descriptor;
        memcpy(&descriptor, CMSG_DATA(message) + index * sizeof(int), sizeof(descriptor));
        close(descriptor);
    }
}

ssize_t tally_receive_with_credentials(
    int fd, void *buffer, size_t length, tally_credentials *credentials, int *has_credentials, int *truncated) {
    union {
        struct cmsghdr alignment;
        char bytes[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 8)];
    } control;
    struct iovec vector = {.iov_base = buffer, .iov_len = length};
    struct msghdr message = {
        .msg_iov = &vector,
        .msg_iovlen = 1,
        .msg_control = control.bytes,
        .msg_controllen = sizeof(control.bytes),
    };
    *has_credentials = 0;
    *truncated = 0;
    ssize_t received = recvmsg(fd, &message, MSG_CMSG_CLOEXEC);
    if (received < 0) {
        return -1;
    }
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET) {
            continue;
        }
        if (header->cmsg_type == SCM_CREDENTIALS && header->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
            struct ucred sender;
            memcpy(&sender, CMSG_DATA(header), sizeof(sender));
            credentials->pid = sender.pid;
            credentials->uid = sender.uid;
            credentials->gid = sender.gid;
            *has_credentials = 1;
        } else if (header->cmsg_type == SCM_RIGHTS) {
            close_passed_descriptors(header);
        }
    }
    *truncated = (message.msg_flags & MSG_TRUNC) != 0;
    return received;
}

int tally_set_current_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof(truncated) - 1);
    truncated[sizeof(truncated) - 1] = '\0';
    return pthread_setname_np(pthread_self(), truncated);
}

int tally_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }

int tally_set_malloc_arena_limit(int count) { return mallopt(M_ARENA_MAX, count); }

int tally_read_timex(tally_timex *result) {
    struct timex buffer;
    memset(&buffer, 0, sizeof(buffer));
    buffer.modes = 0;
    int state = adjtimex(&buffer);
    if (state < 0) return -1;
    result->offset = buffer.offset;
    result->frequency = buffer.freq;
    result->maximum_error = buffer.maxerror;
    result->estimated_error = buffer.esterror;
    result->status = buffer.status;
    result->constant = buffer.constant;
    result->precision = buffer.precision;
    result->tolerance = buffer.tolerance;
    result->tick = buffer.tick;
    result->pps_frequency = buffer.ppsfreq;
    result->jitter = buffer.jitter;
    result->shift = buffer.shift;
    result->stability = buffer.stabil;
    result->jitter_count = buffer.jitcnt;
    result->calibration_count = buffer.calcnt;
    result->error_count = buffer.errcnt;
    result->stability_exceeded_count = buffer.stbcnt;
    result->tai = buffer.tai;
    return state;
}
