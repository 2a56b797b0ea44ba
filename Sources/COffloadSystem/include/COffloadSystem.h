#ifndef OFFLOAD_SYSTEM_SHIMS_H
#define OFFLOAD_SYSTEM_SHIMS_H

#include <sys/types.h>

// prctl is variadic, which Swift cannot call: these fixed-signature wrappers can be.

/// Asks the kernel to send `signal` to this process when its parent dies. Linux only;
/// returns -1 elsewhere.
int offload_set_parent_death_signal(int signal);

#endif
