/* Programs run from a sealed in-memory copy: see sealed-exec.c. */
#ifndef ROCKLET_SEALED_EXEC_H
#define ROCKLET_SEALED_EXEC_H

/*
 * A sealed memfd holding the current content of `path` (made on first use, made again when
 * the file changes), or -1 when none can be made (the caller execs the path itself). Call
 * with sealed_exec_lock() held, and keep it held until the exec is done: the descriptor stays
 * valid only while it is.
 */
int sealed_exec_fd(const char *path);
void sealed_exec_lock(void);
void sealed_exec_unlock(void);

#endif
