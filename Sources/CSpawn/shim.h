#ifndef CSPAWN_SHIM_H
#define CSPAWN_SHIM_H

/// What the render workers need from libc that Swift's Glibc module does not
/// show: GNU extensions, declared only under _GNU_SOURCE or in <malloc.h>.
#include <spawn.h>
#include <signal.h>
#include <sys/prctl.h>

/// glibc 2.34+: closes every descriptor from `low` up in the child, so a render
/// worker holds no copy of the listening socket, the other workers' sockets or
/// a client's connection. Declared here because <spawn.h> shows it only under
/// _GNU_SOURCE, which the Glibc module is not built with.
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int low);

static inline int CSpawn_addCloseFrom(posix_spawn_file_actions_t *actions, int low) {
    return posix_spawn_file_actions_addclosefrom_np(actions, low);
}

/// prctl is variadic, which Swift cannot call. A worker asks for SIGKILL when the
/// thread that spawned it ends (the graph service's render pool thread), so a
/// parent killed with -9 leaves no worker rendering for nobody.
static inline int CSpawn_dieWithParent(void) {
    return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

/// malloc_trim is a glibc extension in <malloc.h>, which the Glibc module does
/// not include. A render worker calls it when it goes idle: a render's buffers
/// (librrd's rows, cairo's and pango's working memory) are freed into the heap,
/// and without a trim their pages stay resident in an idle worker.
#include <malloc.h>

static inline int CSpawn_trimHeap(void) {
    return malloc_trim(0);
}

#endif
