#ifndef CFASTCGI_SHIM_H
#define CFASTCGI_SHIM_H
#include <fcgiapp.h>
#include <sys/prctl.h>
#include <signal.h>

/// `prctl` is variadic: ask the kernel to send `signal` to this process when its parent dies.
static inline int cfastcgi_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}
#endif
