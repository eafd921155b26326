#ifndef PGRAFT_CSHIMS_H
#define PGRAFT_CSHIMS_H

#include <stdint.h>
#include <stddef.h>
#include <pthread.h>
#include <sys/types.h>

/* Parent-death signal: the calling process receives `sig` when its parent thread exits.
   Returns 0 or -1 with errno set. */
int pgr_set_parent_death_signal(int sig);

/* Process-shared, robust mutex living in shared memory. */
int pgr_mutex_init_shared_robust(pthread_mutex_t *mutex);
/* Locks; returns 0 when taken normally, 1 when the previous owner died holding it (the mutex was made
   consistent again and is now held by the caller), or an errno value on failure. */
int pgr_mutex_lock(pthread_mutex_t *mutex);
int pgr_mutex_unlock(pthread_mutex_t *mutex);
size_t pgr_mutex_size(void);

/* Sequentially consistent atomics on plain words in shared memory. */
static inline uint64_t pgr_atomic_load_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void pgr_atomic_store_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline uint64_t pgr_atomic_add_u64(uint64_t *p, uint64_t v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
static inline int pgr_atomic_cas_u64(uint64_t *p, uint64_t expected, uint64_t desired) {
    return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
static inline uint32_t pgr_atomic_load_u32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void pgr_atomic_store_u32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline uint32_t pgr_atomic_add_u32(uint32_t *p, uint32_t v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
static inline int32_t pgr_atomic_load_i32(const int32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void pgr_atomic_store_i32(int32_t *p, int32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline int64_t pgr_atomic_load_i64(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void pgr_atomic_store_i64(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline void pgr_atomic_fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* Spawns `path` with `argv`/`envp` (NULL-terminated) in a new process group, stdin from /dev/null,
   stdout and stderr onto `out_fd` (when >= 0), every other descriptor closed and every signal at its
   default disposition and unblocked. Returns 0 and stores the pid, or an errno value. */
int pgr_spawn(const char *path, char *const argv[], char *const envp[], int out_fd, pid_t *pid);

/* Like pgr_spawn but in the caller's process group, with stdout onto `out_fd` and stderr onto `err_fd`
   (each when >= 0; otherwise inherited). For tools and tests that run a command to completion. */
int pgr_spawn_io(const char *path, char *const argv[], char *const envp[], int out_fd, int err_fd, pid_t *pid);

/* The signal number that terminated a wait status, or 0; the exit code of a normally exited one, or -1. */
int pgr_wait_termsig(int status);
int pgr_wait_exitcode(int status);

/* Blocks `count` signals in the calling thread (do it before other threads exist) and returns a
   non-blocking signalfd delivering them, or -1 with errno set. */
int pgr_signalfd_open(const int *signals, int count);
/* Reads one pending signal from a signalfd: its number, 0 when none is pending, -1 on error. */
int pgr_signalfd_read(int fd);

/* pipe2(O_CLOEXEC): returns 0 or -1 with errno set. */
int pgr_pipe_cloexec(int fds[2]);
/* accept4(SOCK_NONBLOCK | SOCK_CLOEXEC): the new descriptor or -1 with errno set. */
int pgr_accept_nonblocking(int fd);

/* Monotonic clock in milliseconds. */
int64_t pgr_monotonic_ms(void);
/* Wall clock in milliseconds since the Unix epoch. */
int64_t pgr_wall_ms(void);

#endif
