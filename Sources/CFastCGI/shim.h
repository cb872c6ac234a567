#ifndef CFASTCGI_SHIM_H
#define CFASTCGI_SHIM_H
#include <fcgiapp.h>
#include <sys/prctl.h>
#include <signal.h>
#include <errno.h>
#include <sys/epoll.h>

/// `prctl` is variadic: ask the kernel to send `signal` to this process when its parent dies.
static inline int cfastcgi_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}

/// `struct epoll_event` is packed on x86_64, which Swift does not import faithfully: these
/// wrappers keep it on the C side. Each registered descriptor is identified by its number.
static inline int cfastcgi_epoll_register(int epoll, int op, int fd, unsigned int events) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = 0;
    event.data.fd = fd;
    return epoll_ctl(epoll, op, fd, &event);
}

/// A descriptor that stays ready for every waiter once it is (level-triggered).
static inline int cfastcgi_epoll_add_level(int epoll, int fd) {
    return cfastcgi_epoll_register(epoll, EPOLL_CTL_ADD, fd, EPOLLIN);
}

/// Arms a connection for one readiness report (`add`: first registration).
static inline int cfastcgi_epoll_arm_once(int epoll, int fd, int add) {
    return cfastcgi_epoll_register(epoll, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd,
                                   EPOLLIN | EPOLLRDHUP | EPOLLONESHOT);
}

/// Waits for one ready descriptor (at most `timeout` ms, -1: no limit) and returns its
/// number; -1 with errno set on failure, or EAGAIN when the time ran out.
static inline int cfastcgi_epoll_wait_one(int epoll, int timeout) {
    struct epoll_event event;
    int n = epoll_wait(epoll, &event, 1, timeout);
    if (n == 1) return event.data.fd;
    if (n == 0) errno = EAGAIN;
    return -1;
}
#endif
