#ifndef OFFLOAD_SYSTEM_SHIMS_H
#define OFFLOAD_SYSTEM_SHIMS_H

#include <sys/types.h>

// prctl is variadic, which Swift cannot call: these fixed-signature wrappers can be.

/// Asks the kernel to send `signal` to this process when its parent dies. Linux only;
/// returns -1 elsewhere.
int offload_set_parent_death_signal(int signal);

/// Moves the calling thread to Linux's SCHED_IDLE policy, once per thread (later calls
/// return at once): the thread then runs only on CPU time no other thread wants. Returns 0
/// on success, -1 elsewhere than Linux or when the kernel refuses.
int offload_enter_idle_scheduling(void);

/// Sets the calling thread's nice value, once per thread (later calls return at once).
/// Threads inherit nice from the thread that creates them, and Swift's own pool threads
/// reset theirs, so a job thread made from one does not carry the process's `nice`.
/// Returns 0 on success, -1 elsewhere than Linux or when the kernel refuses.
int offload_set_thread_nice(int nice);

#endif
