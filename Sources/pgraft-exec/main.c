/*
 * pgraft-exec PROGRAM [ARGS...]: how pgraftd starts every component.
 *
 * posix_spawn cannot set a parent-death signal, and an operator's plugin knows nothing of pgraft:
 * this shim sets PR_SET_PDEATHSIG (kept across execve) so the component dies with the supervisor,
 * checks that the supervisor did not die before that, then becomes PROGRAM with execvp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: pgraft-exec PROGRAM [ARGS...]\n");
        return 127;
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
        fprintf(stderr, "pgraft-exec: cannot set the parent-death signal: %s\n", strerror(errno));
        return 127;
    }
    const char *supervisor = getenv("PGRAFT_SUPERVISOR_PID");
    if (supervisor != NULL && getppid() != (pid_t)atol(supervisor)) {
        fprintf(stderr, "pgraft-exec: supervisor %s is gone; not starting %s\n", supervisor, argv[1]);
        return 127;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "pgraft-exec: cannot execute %s: %s\n", argv[1], strerror(errno));
    return 127;
}
