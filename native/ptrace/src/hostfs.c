// Host file primitives for the VFS's host mounts: every call names a file by a directory
// fd and one name (or an fd and AT_EMPTY_PATH), the *at system calls Node's fs lacks, so
// no host path is ever resolved from the root or through a symlink the caller did not
// choose to follow. Names travel as Buffers (file names are bytes). Each call returns
// its result or -errno; no policy lives here.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

#define NAME_BYTES 4096

static napi_value num(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static int arg_int(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok ? 0 : -1;
}

// A Buffer argument as a NUL-terminated name; -1 when it is no Buffer, too long or holds a NUL.
static int arg_name(napi_env env, napi_value v, char *out) {
  void *data;
  size_t len;
  bool is_buffer = false;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer) return -1;
  if (napi_get_buffer_info(env, v, &data, &len) != napi_ok || len >= NAME_BYTES) return -1;
  if (memchr(data, 0, len) != NULL) return -1;
  memcpy(out, data, len);
  out[len] = 0;
  return 0;
}

static double *arg_doubles(napi_env env, napi_value v, size_t want) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok) return NULL;
  return type == napi_float64_array && length >= want ? data : NULL;
}

#define ARGS(n)                                              \
  size_t argc = n;                                           \
  napi_value argv[n];                                        \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);      \
  if (argc < n) return num(env, -EINVAL)

static napi_value result(napi_env env, long r) { return num(env, r < 0 ? -errno : (double)r); }

// openAt(dirFd, name, flags, mode) -> fd: openat(2).
static napi_value OpenAt(napi_env env, napi_callback_info info) {
  ARGS(4);
  int64_t dirfd, flags, mode;
  char name[NAME_BYTES];
  if (arg_int(env, argv[0], &dirfd) || arg_name(env, argv[1], name) || arg_int(env, argv[2], &flags) || arg_int(env, argv[3], &mode)) return num(env, -EINVAL);
  return result(env, openat((int)dirfd, name, (int)flags, (mode_t)mode));
}

// openat2(dirFd, path, flags, mode, resolve) -> fd: openat2(2) with RESOLVE_* in resolve.
static napi_value Openat2(napi_env env, napi_callback_info info) {
  ARGS(5);
  int64_t dirfd, flags, mode, resolve;
  char path[NAME_BYTES];
  if (arg_int(env, argv[0], &dirfd) || arg_name(env, argv[1], path) || arg_int(env, argv[2], &flags) || arg_int(env, argv[3], &mode) ||
      arg_int(env, argv[4], &resolve)) {
    return num(env, -EINVAL);
  }
  struct open_how how = {.flags = (uint64_t)flags, .mode = (uint64_t)mode, .resolve = (uint64_t)resolve};
  return result(env, syscall(SYS_openat2, (int)dirfd, path, &how, sizeof how));
}

// reopen(fd, flags) -> a new fd for the file fd (an O_PATH fd) refers to, opened with flags:
// through the kernel's own link to that file (/proc/self/fd/N), never through a name.
static napi_value Reopen(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t fd, flags;
  if (arg_int(env, argv[0], &fd) || arg_int(env, argv[1], &flags)) return num(env, -EINVAL);
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", (int)fd);
  return result(env, open(link, (int)flags | O_CLOEXEC));
}

// statAt(dirFd, name, flags, out: Float64Array(STAT_FIELDS)) -> 0: statx(2) with AT_* flags.
// out: dev, ino, mode, nlink, uid, gid, rdev, size, blksize, blocks, then sec and nsec of
// atime, mtime, ctime and btime (btime 0/0 when the filesystem has none).
enum { STAT_FIELDS = 18 };
static napi_value StatAt(napi_env env, napi_callback_info info) {
  ARGS(4);
  int64_t dirfd, flags;
  char name[NAME_BYTES];
  double *out = arg_doubles(env, argv[3], STAT_FIELDS);
  if (arg_int(env, argv[0], &dirfd) || arg_name(env, argv[1], name) || arg_int(env, argv[2], &flags) || !out) return num(env, -EINVAL);
  struct statx st;
  if (statx((int)dirfd, name, (int)flags | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_BTIME, &st) != 0) return num(env, -errno);
  out[0] = (double)makedev(st.stx_dev_major, st.stx_dev_minor);
  out[1] = (double)st.stx_ino;
  out[2] = st.stx_mode;
  out[3] = st.stx_nlink;
  out[4] = st.stx_uid;
  out[5] = st.stx_gid;
  out[6] = (double)makedev(st.stx_rdev_major, st.stx_rdev_minor);
  out[7] = (double)st.stx_size;
  out[8] = st.stx_blksize;
  out[9] = (double)st.stx_blocks;
  const struct statx_timestamp *times[4] = {&st.stx_atime, &st.stx_mtime, &st.stx_ctime, &st.stx_btime};
  for (int i = 0; i < 4; i++) {
    int known = i < 3 || (st.stx_mask & STATX_BTIME);
    out[10 + 2 * i] = known ? (double)times[i]->tv_sec : 0;
    out[11 + 2 * i] = known ? times[i]->tv_nsec : 0;
  }
  return num(env, 0);
}

// statfs(fd, out: Float64Array(8)) -> 0: fstatfs(2); out: type, bsize, blocks, bfree,
// bavail, files, ffree, namelen.
static napi_value Statfs(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t fd;
  double *out = arg_doubles(env, argv[1], 8);
  if (arg_int(env, argv[0], &fd) || !out) return num(env, -EINVAL);
  struct statfs s;
  if (fstatfs((int)fd, &s) != 0) return num(env, -errno);
  double fields[8] = {(double)s.f_type, (double)s.f_bsize, (double)s.f_blocks, (double)s.f_bfree, (double)s.f_bavail, (double)s.f_files, (double)s.f_ffree, (double)s.f_namelen};
  memcpy(out, fields, sizeof fields);
  return num(env, 0);
}

// mkdirAt(dirFd, name, mode) -> 0
static napi_value MkdirAt(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t dirfd, mode;
  char name[NAME_BYTES];
  if (arg_int(env, argv[0], &dirfd) || arg_name(env, argv[1], name) || arg_int(env, argv[2], &mode)) return num(env, -EINVAL);
  return result(env, mkdirat((int)dirfd, name, (mode_t)mode));
}

// symlinkAt(target, dirFd, name) -> 0
static napi_value SymlinkAt(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t dirfd;
  char target[NAME_BYTES], name[NAME_BYTES];
  if (arg_name(env, argv[0], target) || arg_int(env, argv[1], &dirfd) || arg_name(env, argv[2], name)) return num(env, -EINVAL);
  return result(env, symlinkat(target, (int)dirfd, name));
}

// The arguments of a call on two names: (oldDirFd, oldName, newDirFd, newName, flags).
struct two_names {
  int64_t olddir, newdir, flags;
  char oldname[NAME_BYTES], newname[NAME_BYTES];
};

static int arg_two_names(napi_env env, napi_callback_info info, struct two_names *out) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5 || arg_int(env, argv[0], &out->olddir) || arg_name(env, argv[1], out->oldname) || arg_int(env, argv[2], &out->newdir) ||
      arg_name(env, argv[3], out->newname) || arg_int(env, argv[4], &out->flags)) {
    return -1;
  }
  return 0;
}

// linkAt(oldDirFd, oldName, newDirFd, newName, flags) -> 0: linkat(2).
static napi_value LinkAt(napi_env env, napi_callback_info info) {
  struct two_names a;
  if (arg_two_names(env, info, &a)) return num(env, -EINVAL);
  return result(env, linkat((int)a.olddir, a.oldname, (int)a.newdir, a.newname, (int)a.flags));
}

// unlinkAt(dirFd, name, flags) -> 0: unlinkat(2) (AT_REMOVEDIR removes a directory).
static napi_value UnlinkAt(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t dirfd, flags;
  char name[NAME_BYTES];
  if (arg_int(env, argv[0], &dirfd) || arg_name(env, argv[1], name) || arg_int(env, argv[2], &flags)) return num(env, -EINVAL);
  return result(env, unlinkat((int)dirfd, name, (int)flags));
}

// renameAt(oldDirFd, oldName, newDirFd, newName, flags) -> 0: renameat2(2) (RENAME_EXCHANGE, NOREPLACE).
static napi_value RenameAt(napi_env env, napi_callback_info info) {
  struct two_names a;
  if (arg_two_names(env, info, &a)) return num(env, -EINVAL);
  return result(env, syscall(SYS_renameat2, (int)a.olddir, a.oldname, (int)a.newdir, a.newname, (unsigned)a.flags));
}

// fgetxattr(fd, name) -> Buffer with the attribute's value, or -errno (ENODATA: none).
static napi_value FGetXattr(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t fd;
  char name[NAME_BYTES];
  static char value[65536]; // XATTR_SIZE_MAX; only the main thread calls in.
  if (arg_int(env, argv[0], &fd) || arg_name(env, argv[1], name)) return num(env, -EINVAL);
  ssize_t n = fgetxattr((int)fd, name, value, sizeof value);
  if (n < 0) return num(env, -errno);
  napi_value out;
  void *copy;
  napi_create_buffer_copy(env, (size_t)n, value, &copy, &out);
  return out;
}

// readlinkAt(dirFd, name) -> Buffer with the link's target, or -errno.
static napi_value ReadlinkAt(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t dirfd;
  char name[NAME_BYTES], target[NAME_BYTES];
  if (arg_int(env, argv[0], &dirfd) || arg_name(env, argv[1], name)) return num(env, -EINVAL);
  ssize_t n = readlinkat((int)dirfd, name, target, sizeof target);
  if (n < 0) return num(env, -errno);
  if ((size_t)n == sizeof target) return num(env, -ENAMETOOLONG);
  napi_value out;
  void *copy;
  napi_create_buffer_copy(env, (size_t)n, target, &copy, &out);
  return out;
}

// chownAt(dirFd, name, uid, gid, flags) -> 0: fchownat(2) (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH).
static napi_value ChownAt(napi_env env, napi_callback_info info) {
  ARGS(5);
  int64_t dirfd, uid, gid, flags;
  char name[NAME_BYTES];
  if (arg_int(env, argv[0], &dirfd) || arg_name(env, argv[1], name) || arg_int(env, argv[2], &uid) || arg_int(env, argv[3], &gid) ||
      arg_int(env, argv[4], &flags)) {
    return num(env, -EINVAL);
  }
  return result(env, fchownat((int)dirfd, name, (uid_t)uid, (gid_t)gid, (int)flags));
}

// chmodAt(dirFd, name, mode, flags) -> 0: fchmodat2(2) (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH).
// Before Linux 6.6 only an fd with AT_EMPTY_PATH is served, through the kernel's own link
// to the file it refers to (chmod never applies to a symlink).
static napi_value ChmodAt(napi_env env, napi_callback_info info) {
  ARGS(4);
  int64_t dirfd, mode, flags;
  char name[NAME_BYTES];
  if (arg_int(env, argv[0], &dirfd) || arg_name(env, argv[1], name) || arg_int(env, argv[2], &mode) || arg_int(env, argv[3], &flags)) return num(env, -EINVAL);
  long r = syscall(SYS_fchmodat2, (int)dirfd, name, (mode_t)mode, (int)flags);
  if (r == 0 || errno != ENOSYS) return result(env, r);
  if (name[0] != 0 || !(flags & AT_EMPTY_PATH)) return num(env, -ENOSYS);
  struct stat st;
  if (fstat((int)dirfd, &st) != 0) return num(env, -errno);
  if (S_ISLNK(st.st_mode)) return num(env, -EOPNOTSUPP);
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", (int)dirfd);
  return result(env, chmod(link, (mode_t)mode));
}

// utimensAt(dirFd, name, times: Float64Array [atime sec, nsec, mtime sec, nsec], flags) -> 0:
// utimensat(2); nsec may be UTIME_OMIT or UTIME_NOW.
static napi_value UtimensAt(napi_env env, napi_callback_info info) {
  ARGS(4);
  int64_t dirfd, flags;
  char name[NAME_BYTES];
  double *t = arg_doubles(env, argv[2], 4);
  if (arg_int(env, argv[0], &dirfd) || arg_name(env, argv[1], name) || !t || arg_int(env, argv[3], &flags)) return num(env, -EINVAL);
  struct timespec times[2] = {{(time_t)t[0], (long)t[1]}, {(time_t)t[2], (long)t[3]}};
  return result(env, utimensat((int)dirfd, name, times, (int)flags));
}

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// readDir(dirFd) -> the names in the directory dirFd (an O_PATH fd will do), without . and
// .., as Buffers; or -errno.
static napi_value ReadDir(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t dirfd;
  if (arg_int(env, argv[0], &dirfd)) return num(env, -EINVAL);
  int fd = openat((int)dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return num(env, -errno);
  napi_value out;
  napi_create_array(env, &out);
  uint32_t count = 0;
  char buf[32768];
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n < 0) {
      int err = errno;
      close(fd);
      return num(env, -err);
    }
    if (n == 0) break;
    for (long at = 0; at < n;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + at);
      at += d->d_reclen;
      if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) continue;
      napi_value name;
      void *copy;
      napi_create_buffer_copy(env, strlen(d->d_name), d->d_name, &copy, &name);
      napi_set_element(env, out, count++, name);
    }
  }
  close(fd);
  return out;
}

static napi_value Module(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openAt", NULL, OpenAt, NULL, NULL, NULL, napi_default, NULL},
      {"openat2", NULL, Openat2, NULL, NULL, NULL, napi_default, NULL},
      {"reopen", NULL, Reopen, NULL, NULL, NULL, napi_default, NULL},
      {"statAt", NULL, StatAt, NULL, NULL, NULL, napi_default, NULL},
      {"statfs", NULL, Statfs, NULL, NULL, NULL, napi_default, NULL},
      {"mkdirAt", NULL, MkdirAt, NULL, NULL, NULL, napi_default, NULL},
      {"symlinkAt", NULL, SymlinkAt, NULL, NULL, NULL, napi_default, NULL},
      {"linkAt", NULL, LinkAt, NULL, NULL, NULL, napi_default, NULL},
      {"unlinkAt", NULL, UnlinkAt, NULL, NULL, NULL, napi_default, NULL},
      {"renameAt", NULL, RenameAt, NULL, NULL, NULL, napi_default, NULL},
      {"readlinkAt", NULL, ReadlinkAt, NULL, NULL, NULL, napi_default, NULL},
      {"chownAt", NULL, ChownAt, NULL, NULL, NULL, napi_default, NULL},
      {"chmodAt", NULL, ChmodAt, NULL, NULL, NULL, napi_default, NULL},
      {"utimensAt", NULL, UtimensAt, NULL, NULL, NULL, napi_default, NULL},
      {"readDir", NULL, ReadDir, NULL, NULL, NULL, napi_default, NULL},
      {"fgetxattr", NULL, FGetXattr, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Module)
