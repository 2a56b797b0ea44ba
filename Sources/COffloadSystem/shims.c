#define _GNU_SOURCE  // SCHED_IDLE
#include "COffloadSystem.h"

#if defined(__linux__)
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>

int offload_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, signal);
}

int offload_enter_idle_scheduling(void) {
    // Thread-local: the job threads call this before every job, the syscall runs once.
    static __thread int state;  // 0 not tried, 1 done, -1 refused
    if (state == 0) {
        struct sched_param parameters = {0};
        // On Linux the policy belongs to the thread: pid 0 is the calling thread.
        state = sched_setscheduler(0, SCHED_IDLE, &parameters) == 0 ? 1 : -1;
    }
    return state == 1 ? 0 : -1;
}

int offload_set_thread_nice(int nice) {
    static __thread int state;  // 0 not tried, 1 done, -1 refused
    if (state == 0) {
        // On Linux nice belongs to the thread: PRIO_PROCESS with 0 is the calling thread.
        state = setpriority(PRIO_PROCESS, 0, nice) == 0 ? 1 : -1;
    }
    return state == 1 ? 0 : -1;
}
#else
int offload_set_parent_death_signal(int signal) {
    (void)signal;
    return -1;
}

int offload_enter_idle_scheduling(void) {
    return -1;
}

int offload_set_thread_nice(int nice) {
    (void)nice;
    return -1;
}
#endif
