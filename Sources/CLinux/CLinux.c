// accept4, struct ucred, SO_PEERCRED, SCM_CREDENTIALS and pthread_setname_np are GNU extensions.
#define _GNU_SOURCE 1

#include <link.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include "CLinux.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
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

/// True when the object's dynamic section asks for text relocations (DT_TEXTREL, or DF_TEXTREL in DT_FLAGS).
static int has_text_relocations(const struct dl_phdr_info *object) {
    for (int index = 0; index < object->dlpi_phnum; index++) {
        const ElfW(Phdr) *header = &object->dlpi_phdr[index];
        if (header->p_type != PT_DYNAMIC) continue;
        for (const ElfW(Dyn) *entry = (const ElfW(Dyn) *)(object->dlpi_addr + header->p_vaddr);
             entry->d_tag != DT_NULL; entry++) {
            if (entry->d_tag == DT_TEXTREL) return 1;
            if (entry->d_tag == DT_FLAGS && (entry->d_un.d_val & DF_TEXTREL)) return 1;
        }
    }
    return 0;
}

/// /proc/self/pagemap flags of a page: present in memory, and mapped from a file (clear once a private page has been
/// copied on write, as a debugger's breakpoint or a uprobe does to code).
#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_FILE_PAGE (1ULL << 61)

/// Releases the resident pages of [start, end) that are still the file's own, in runs; a page written to (a
/// breakpoint or uprobe in it) is kept, since dropping it would drop the change. Adds what it released to `released`.
static void release_clean_pages(int pagemap, uintptr_t start, uintptr_t end, uintptr_t page, long *released) {
    uint64_t entries[512];
    uintptr_t run = 0;  // start of the current run of releasable pages, or 0
    for (uintptr_t address = start; address < end;) {
        size_t count = (end - address) / page;
        if (count > sizeof(entries) / sizeof(entries[0])) count = sizeof(entries) / sizeof(entries[0]);
        off_t offset = (off_t)(address / page * sizeof(entries[0]));
        ssize_t bytes = pread(pagemap, entries, count * sizeof(entries[0]), offset);
        if (bytes <= 0) break;
        count = (size_t)bytes / sizeof(entries[0]);
        for (size_t index = 0; index < count; index++, address += page) {
            int releasable = (entries[index] & PAGEMAP_PRESENT) && (entries[index] & PAGEMAP_FILE_PAGE);
            if (releasable && run == 0) run = address;
            if (!releasable && run != 0) {
                if (madvise((void *)run, address - run, MADV_DONTNEED) == 0) *released += (long)(address - run);
                run = 0;
            }
        }
    }
    if (run != 0 && madvise((void *)run, end - run, MADV_DONTNEED) == 0) *released += (long)(end - run);
}

/// dl_iterate_phdr visits the main program first (its name is empty); release its code segments and stop.
static int release_code_segments(struct dl_phdr_info *object, size_t size, void *released) {
    (void)size;
    if (object->dlpi_name[0] != '\0' || has_text_relocations(object)) return 1;
    int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pagemap < 0) return 1;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int index = 0; index < object->dlpi_phnum; index++) {
        const ElfW(Phdr) *header = &object->dlpi_phdr[index];
        if (header->p_type != PT_LOAD || !(header->p_flags & PF_X) || (header->p_flags & PF_W)) continue;
        // Only whole pages inside the segment: a page it shares with a neighbour is left alone.
        uintptr_t start = (object->dlpi_addr + header->p_vaddr + page - 1) & ~(page - 1);
        uintptr_t end = (object->dlpi_addr + header->p_vaddr + header->p_memsz) & ~(page - 1);
        if (end > start) release_clean_pages(pagemap, start, end, page, (long *)released);
    }
    close(pagemap);
    return 1;
}

long tally_release_program_code(void) {
    long released = 0;
    dl_iterate_phdr(release_code_segments, &released);
    return released;
}

int tally_advise_huge_pages(void *address, size_t length) {
    const uintptr_t huge = 2u << 20;
    uintptr_t start = ((uintptr_t)address + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)address + length) & ~(huge - 1);
    if (end <= start) return 0;
    return madvise((void *)start, end - start, MADV_HUGEPAGE);
}
