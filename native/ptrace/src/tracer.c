// The native half of the ptrace platform: primitives only, no policy. The JS main thread
// is the tracer; every call here is made from it. Registers travel through one shared
// BigUint64Array (struct user_regs_struct order) and stop details through one shared
// Int32Array, so the hot path (stop -> handler -> resume) allocates nothing.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef __WALL
#define __WALL 0x40000000
#endif
#ifndef PTRACE_GETSIGMASK
#define PTRACE_GETSIGMASK 0x420a
#endif

// state[] slots shared with JS (src/native/ptrace.ts mirrors them).
enum { ST_PID, ST_STATUS, ST_EVENTMSG, ST_COUNT };

static struct user_regs_struct *regs;  // the shared register buffer
static int32_t *state;                 // the shared stop record
static napi_ref regs_ref, state_ref;   // keep both buffers alive
static int wait_timer_ok;
static void setup_wait_timer(void);

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "tssc ptrace addon: " #call);       \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value num(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static int arg_int(napi_env env, napi_value v) {
  int32_t out = 0;
  napi_get_value_int32(env, v, &out);
  return out;
}

static uint64_t arg_u64(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_bigint) {
    uint64_t out = 0;
    bool lossless;
    napi_get_value_bigint_uint64(env, v, &out, &lossless);
    return out;
  }
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return (uint64_t)out;
}

static int arg_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is_typed;
  napi_is_typedarray(env, v, &is_typed);
  if (is_typed) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    void *p;
    if (napi_get_typedarray_info(env, v, &type, &length, &p, &ab, &offset) != napi_ok) return -1;
    *data = p;
    *len = length;
    return 0;
  }
  void *p;
  if (napi_get_buffer_info(env, v, &p, len) != napi_ok) return -1;
  *data = p;
  return 0;
}

// init(regs: BigUint64Array(27), state: Int32Array(ST_COUNT))
static napi_value Init(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *r, *s;
  size_t rl, sl;
  if (argc < 2 || arg_bytes(env, argv[0], &r, &rl) || arg_bytes(env, argv[1], &s, &sl) ||
      rl * 8 < sizeof(struct user_regs_struct) || sl < ST_COUNT) {
    napi_throw_type_error(env, NULL, "init(regs: BigUint64Array(27), state: Int32Array(3))");
    return NULL;
  }
  if (regs_ref) napi_delete_reference(env, regs_ref);
  if (state_ref) napi_delete_reference(env, state_ref);
  CHECK(napi_create_reference(env, argv[0], 1, &regs_ref));
  CHECK(napi_create_reference(env, argv[1], 1, &state_ref));
  regs = (struct user_regs_struct *)r;
  state = (int32_t *)s;
  if (!wait_timer_ok) setup_wait_timer();
  return NULL;
}

// The workload's side of spawn: runs in the forked child, async-signal-safe calls only.
struct limit {
  int resource;
  struct rlimit value;
};

// Fds the sentry gives the workload (a memory file for a shared mmap) arrive by SCM_RIGHTS on
// this fd of every workload process: the receiving end of one datagram socketpair, kept open
// (not O_CLOEXEC) through forks and the stub's execs. The workload cannot touch it: every
// call naming an fd stops for the sentry, which answers from its own fd table.
#define WORKLOAD_DONOR_FD 3
static int donor[2] = {-1, -1};  // [0] the sentry sends on it, [1] the workloads' end

// Sets a limit; one above tssc's own hard limit (raising that needs privilege) is set as
// high as that hard limit goes, not left at tssc's.
static void set_limit(const struct limit *limit) {
  struct rlimit want = limit->value, have;
  if (setrlimit(limit->resource, &want) == 0 || getrlimit(limit->resource, &have) != 0) return;
  if (want.rlim_max > have.rlim_max) want.rlim_max = have.rlim_max;
  if (want.rlim_cur > want.rlim_max) want.rlim_cur = want.rlim_max;
  setrlimit(limit->resource, &want);
}

// No host privilege in the workload: run by root, its processes would be host root, and every
// call the host kernel runs for them without the sentry (mlock, sched_setscheduler, madvise,
// setrlimit...) would pass the host's capability checks. Securebits and the bounding set
// first (both need CAP_SETPCAP), then every set empties; SECBIT_NOROOT keeps uid 0 from
// getting capabilities back at exec (no_new_privs does too). An unprivileged tssc has none to
// drop: its bounding set stays (dropping needs CAP_SETPCAP), worthless with nothing permitted
// and no_new_privs. The sentry keeps its own: it traces and reads its children with them.
static void drop_capabilities(void) {
  prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
                               SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED);
  for (int cap = 0; prctl(PR_CAPBSET_READ, cap) >= 0; cap++) prctl(PR_CAPBSET_DROP, cap);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];
  memset(none, 0, sizeof none);
  syscall(SYS_capset, &header, none);
}

static void child(const char *path, int sync_fd, const int *stdio, int nstdio,
                  struct sock_fprog *prog, const struct limit *limits, int nlimits) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < 65; sig++) sigaction(sig, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  setsid();
  // Nothing of the host's tree is its business, and tssc's working directory stays free.
  if (chdir("/") != 0) _exit(126);
  // Move the fds to keep out of the way before placing them at 0..n-1.
  int moved[3];
  for (int i = 0; i < nstdio; i++) moved[i] = stdio[i] >= 0 ? fcntl(stdio[i], F_DUPFD, 64) : -1;
  int donor_moved = fcntl(donor[1], F_DUPFD, 64);
  for (int i = 0; i < nstdio; i++) {
    if (moved[i] >= 0) dup2(moved[i], i);
    else close(i);
  }
  char b;
  while (read(sync_fd, &b, 1) < 0 && errno == EINTR) {
  }
  dup2(donor_moved, WORKLOAD_DONOR_FD);
  if (nstdio < WORKLOAD_DONOR_FD) syscall(SYS_close_range, nstdio, WORKLOAD_DONOR_FD - 1, 0);
  syscall(SYS_close_range, WORKLOAD_DONOR_FD + 1, ~0U, 0);
  for (int i = 0; i < nlimits; i++) set_limit(&limits[i]);
  drop_capabilities();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) != 0) _exit(126);
  char *argv[] = {(char *)path, NULL};
  char *envp[] = {NULL};
  execve(path, argv, envp);
  _exit(127);
}

// spawn(stubPath, stdioFds: number[] (max 3, -1 = closed), filter: Buffer of sock_filter,
//       ptraceOptions, limits?: [resource, soft, hard][] (-1 = unlimited)) -> host pid.
//       The child waits until it is seized, sets the limits, installs the filter and execs
//       the stub (that execve is the first trapped call the sentry sees).
#define MAX_LIMITS 16
static napi_value Spawn(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t plen;
  uint8_t *filter;
  size_t flen;
  uint32_t nstdio = 0;
  if (argc < 4 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen) != napi_ok ||
      napi_get_array_length(env, argv[1], &nstdio) != napi_ok || nstdio > 3 ||
      arg_bytes(env, argv[2], &filter, &flen) || flen % sizeof(struct sock_filter) != 0) {
    napi_throw_type_error(env, NULL, "spawn(path, stdio: number[], filter: Buffer, options: number)");
    return NULL;
  }
  int stdio[3] = {-1, -1, -1};
  for (uint32_t i = 0; i < nstdio; i++) {
    napi_value v;
    napi_get_element(env, argv[1], i, &v);
    stdio[i] = arg_int(env, v);
  }
  int options = arg_int(env, argv[3]);
  struct limit limits[MAX_LIMITS];
  uint32_t nlimits = 0;
  if (argc > 4 && napi_get_array_length(env, argv[4], &nlimits) == napi_ok) {
    if (nlimits > MAX_LIMITS) nlimits = MAX_LIMITS;
    for (uint32_t i = 0; i < nlimits; i++) {
      napi_value row, field;
      napi_get_element(env, argv[4], i, &row);
      int64_t values[3] = {0, -1, -1};
      for (uint32_t j = 0; j < 3; j++) {
        napi_get_element(env, row, j, &field);
        napi_get_value_int64(env, field, &values[j]);
      }
      limits[i].resource = (int)values[0];
      limits[i].value.rlim_cur = values[1] < 0 ? RLIM_INFINITY : (rlim_t)values[1];
      limits[i].value.rlim_max = values[2] < 0 ? RLIM_INFINITY : (rlim_t)values[2];
    }
  }
  struct sock_fprog prog = {(unsigned short)(flen / sizeof(struct sock_filter)), (struct sock_filter *)filter};
  if (donor[0] < 0 && socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, donor) != 0) return num(env, -errno);
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) return num(env, -errno);
  pid_t pid = fork();
  if (pid == 0) {
    close(sync[1]);
    child(path, sync[0], stdio, (int)nstdio, &prog, limits, (int)nlimits);
  }
  int err = pid < 0 ? errno : 0;
  close(sync[0]);
  if (pid > 0 && ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)options) != 0) {
    err = errno;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, __WALL);
  }
  close(sync[1]);
  return num(env, err ? -err : pid);
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

// A blocking wait with a timeout for the tracer thread: a periodic per-thread timer whose
// signal (handler without SA_RESTART) interrupts waitpid. Periodic, so a tick that fires
// just before waitpid blocks cannot leave it blocked for good; disarmed before returning,
// so no tick reaches any other call of the thread.
static timer_t wait_timer;

static void on_wait_timer(int sig) { (void)sig; }

static void setup_wait_timer(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_wait_timer;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGRTMIN + 8, &sa, NULL) != 0) return;
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGRTMIN + 8;
  sev._sigev_un._tid = gettid();
  wait_timer_ok = timer_create(CLOCK_MONOTONIC, &sev, &wait_timer) == 0;
}

static void arm_wait_timer(double us) {
  long ns = (long)(us * 1000);
  struct itimerspec spec = {{ns / 1000000000L, ns % 1000000000L}, {ns / 1000000000L, ns % 1000000000L}};
  timer_settime(wait_timer, 0, &spec, NULL);
}

static void disarm_wait_timer(void) {
  struct itimerspec zero;
  memset(&zero, 0, sizeof zero);
  timer_settime(wait_timer, 0, &zero, NULL);
}

// Reaps one stop or exit: polls for up to spin_us, then blocks for up to block_us. Fills
// state[] and, for seccomp and syscall-exit stops, the register buffer. Returns the pid,
// 0 when nothing came, -errno (ECHILD: no tracee left).
static int wait_stop(double spin_us, double block_us) {
  double deadline = spin_us > 0 ? now_us() + spin_us : 0;
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);
    if (pid == 0 && block_us > 0 && wait_timer_ok && (!deadline || now_us() >= deadline)) {
      arm_wait_timer(block_us);
      pid = waitpid(-1, &status, __WALL);
      int err = errno;
      disarm_wait_timer();
      if (pid < 0 && err == EINTR) return 0;
      errno = err;
    }
    if (pid < 0) return -errno;
    if (pid > 0) {
      state[ST_PID] = pid;
      state[ST_STATUS] = status;
      state[ST_EVENTMSG] = 0;
      if (WIFSTOPPED(status)) {
        int event = status >> 16;
        if (event == PTRACE_EVENT_SECCOMP || WSTOPSIG(status) == (SIGTRAP | 0x80)) {
          if (ptrace(PTRACE_GETREGS, pid, 0, regs) != 0) state[ST_EVENTMSG] = -errno;
        } else if (event != 0 && event != PTRACE_EVENT_STOP) {
          unsigned long msg = 0;
          ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
          state[ST_EVENTMSG] = (int32_t)msg;
        }
      }
      return pid;
    }
    if (!deadline || now_us() >= deadline) return 0;
  }
}

// wait_stop with the (spinUs, blockUs) pair a call takes from argv[first]; absent ones are 0.
static int wait_stop_args(napi_env env, size_t argc, napi_value *argv, size_t first) {
  double spin = 0, block = 0;
  if (argc > first) napi_get_value_double(env, argv[first], &spin);
  if (argc > first + 1) napi_get_value_double(env, argv[first + 1], &block);
  return wait_stop(spin, block);
}

// waitStop(spinUs, blockUs) -> pid | 0 | -errno
static napi_value WaitStop(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  return num(env, wait_stop_args(env, argc, argv, 0));
}

// complete(pid, result, spinUs, blockUs): ends the trapped syscall at a seccomp stop with
// result (skipping the kernel's run of it), resumes the task and waits for the next stop.
static napi_value Complete(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int pid = arg_int(env, argv[0]);
  regs->orig_rax = (unsigned long long)-1;
  regs->rax = arg_u64(env, argv[1]);
  if (ptrace(PTRACE_SETREGS, pid, 0, regs) != 0 || ptrace(PTRACE_CONT, pid, 0, 0) != 0) return num(env, -errno - 1000);
  return num(env, wait_stop_args(env, argc, argv, 2));
}

// cont(pid, signal, mode): resumes a stopped task; mode 0 PTRACE_CONT, 1 PTRACE_SYSCALL
// (to see the exit of the current call), 2 PTRACE_LISTEN (keep a group-stop).
static napi_value Cont(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int pid = arg_int(env, argv[0]);
  long sig = argc > 1 ? arg_int(env, argv[1]) : 0;
  int mode = argc > 2 ? arg_int(env, argv[2]) : 0;
  int req = mode == 1 ? PTRACE_SYSCALL : mode == 2 ? PTRACE_LISTEN : PTRACE_CONT;
  return num(env, ptrace(req, pid, 0, (void *)sig) == 0 ? 0 : -errno);
}

// getRegs/setRegs(pid): moves a stopped task's registers to or from the register buffer.
static napi_value RegsIo(napi_env env, napi_callback_info info, enum __ptrace_request request) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  return num(env, ptrace(request, arg_int(env, argv[0]), 0, regs) == 0 ? 0 : -errno);
}
static napi_value GetRegs(napi_env env, napi_callback_info info) { return RegsIo(env, info, PTRACE_GETREGS); }
static napi_value SetRegs(napi_env env, napi_callback_info info) { return RegsIo(env, info, PTRACE_SETREGS); }

// Signals that reach a task while the sentry runs a call in it are held back (resuming a
// signal-delivery-stop without its signal drops it) and queued again once the call is done:
// with their siginfo when the kernel lets a non-sender queue it, else by tkill.
#define MAX_HELD_SIGNALS 16

static pid_t tgid_of(pid_t tid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", tid);
  FILE *f = fopen(path, "re");
  if (!f) return -1;
  pid_t tgid = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Tgid: %d", &tgid) == 1) break;
  fclose(f);
  return tgid;
}

static void requeue_signals(pid_t tid, siginfo_t *held, int count) {
  for (int i = 0; i < count; i++) {
    siginfo_t *info = &held[i];
    pid_t tgid = info->si_code < 0 && info->si_code != SI_TKILL ? tgid_of(tid) : -1;
    if (tgid > 0 && syscall(SYS_rt_tgsigqueueinfo, tgid, tid, info->si_signo, info) == 0) continue;
    syscall(SYS_tkill, tid, info->si_signo);
  }
}

// inject(pid, inPlace): runs the syscall described by the register buffer in a stopped
// task and leaves the resulting registers in the buffer; returns rax or -errno - 1000 when
// ptrace itself failed. Either in place of the call a task is stopped at a seccomp stop in
// (inPlace: orig_rax and the arguments set; the filter is not asked again), or, from a
// trap or the exit stop of an earlier injected call, by single-stepping over a `syscall`
// instruction (rip there, rax and the arguments set); a call the filter traps then stops
// at its seccomp stop and is let run. Either way it ends at the call's exit. Signals that
// arrive meanwhile are queued again afterwards. A task that dies meanwhile gives -ESRCH - 1000
// and its exit stays for the next waitStop.
static napi_value Inject(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int pid = arg_int(env, argv[0]);
  bool in_place = false;
  if (argc > 1) napi_get_value_bool(env, argv[1], &in_place);
  if (ptrace(PTRACE_SETREGS, pid, 0, regs) != 0) return num(env, -errno - 1000);
  unsigned long long start = regs->rip;
  siginfo_t held[MAX_HELD_SIGNALS];
  int nheld = 0;
  enum __ptrace_request request = in_place ? PTRACE_SYSCALL : PTRACE_SINGLESTEP;
  long long result;
  for (;;) {
    if (ptrace(request, pid, 0, 0) != 0) {
      result = -errno - 1000;
      break;
    }
    // An exit, or the exit stop before it, is only looked at, not reaped: the sentry's own
    // wait takes it as any other.
    siginfo_t peek;
    memset(&peek, 0, sizeof peek);
    if (waitid(P_PID, pid, &peek, WEXITED | WSTOPPED | WNOWAIT | __WALL) != 0) {
      result = -errno - 1000;
      break;
    }
    int dying = peek.si_code == CLD_TRAPPED && peek.si_status >> 8 == PTRACE_EVENT_EXIT;
    if (dying || (peek.si_code != CLD_TRAPPED && peek.si_code != CLD_STOPPED)) return num(env, -ESRCH - 1000);
    int status;
    if (waitpid(pid, &status, __WALL) < 0) {
      result = -errno - 1000;
      break;
    }
    int event = status >> 16, sig = WSTOPSIG(status);
    if (event == PTRACE_EVENT_SECCOMP) {
      request = PTRACE_SYSCALL;
      continue;
    }
    if (event != 0) continue;  // a group-stop or the like: go on
    int ended = sig == (SIGTRAP | 0x80);  // the call's syscall-exit stop
    if (!ended) {
      siginfo_t si;
      memset(&si, 0, sizeof si);
      int known = ptrace(PTRACE_GETSIGINFO, pid, 0, &si) == 0;
      // The step's own trap has a kernel code (positive); a sender's code is not.
      if (!(sig == SIGTRAP && known && si.si_code > 0)) {
        if (!known) {
          si.si_signo = sig;
          si.si_code = SI_TKILL;
        }
        if (nheld < MAX_HELD_SIGNALS) held[nheld++] = si;
        continue;
      }
    }
    if (ptrace(PTRACE_GETREGS, pid, 0, regs) != 0) {
      result = -errno - 1000;
      break;
    }
    // A step that has not left the syscall instruction yet (the skipped call's exit trap).
    if (!ended && regs->rip == start) continue;
    result = (long long)regs->rax;
    break;
  }
  requeue_signals(pid, held, nheld);
  return num(env, (double)result);
}

// sameFile(pid, fd, ownFd) -> 1 when the tracee's fd and the sentry's ownFd are one open
// file description, 0 when not, -errno (ENOSYS: a kernel without kcmp).
static napi_value SameFile(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  const int KCMP_FILE = 0;
  long r = syscall(SYS_kcmp, arg_int(env, argv[0]), getpid(), KCMP_FILE, arg_int(env, argv[1]), arg_int(env, argv[2]));
  return num(env, r < 0 ? -errno : r == 0);
}

// memfdCreate(name) -> a new host memory file (O_RDWR, close-on-exec) or -errno.
static napi_value MemfdCreate(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[250];
  size_t len;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) name[0] = 0;
  int fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);
  return num(env, fd < 0 ? -errno : fd);
}

// sendFd(fd) -> 0 or -errno: queues fd on the donor socket, for one recvmsg injected into a
// workload process on WORKLOAD_DONOR_FD. Whatever an earlier donation left unreceived (its
// task died first) is dropped first, so the queue holds this fd alone.
static napi_value SendFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (donor[0] < 0) return num(env, -EBADF);
  int fd = arg_int(env, argv[0]);
  char byte = 0;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  for (;;) {
    struct iovec iov = {&byte, 1};
    struct msghdr stale = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
    if (recvmsg(donor[1], &stale, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0) break;
    struct cmsghdr *c = CMSG_FIRSTHDR(&stale);
    if (c && c->cmsg_type == SCM_RIGHTS) close(*(int *)CMSG_DATA(c));
  }
  memset(&control, 0, sizeof control);
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return num(env, sendmsg(donor[0], &msg, MSG_DONTWAIT) == 1 ? 0 : -errno);
}

// Memory of a tracee: readMem/writeMem(pid, addr, buf) -> bytes moved or -errno
// (process_vm_*: EFAULT for unmapped memory, short counts at a mapping's end).
static napi_value MemIo(napi_env env, napi_callback_info info, int write) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *data;
  size_t len;
  if (argc < 3 || arg_bytes(env, argv[2], &data, &len)) {
    napi_throw_type_error(env, NULL, "readMem/writeMem(pid, addr, buf)");
    return NULL;
  }
  int pid = arg_int(env, argv[0]);
  uint64_t addr = arg_u64(env, argv[1]);
  struct iovec local = {data, len};
  struct iovec remote = {(void *)(uintptr_t)addr, len};
  ssize_t n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
                    : process_vm_readv(pid, &local, 1, &remote, 1, 0);
  return num(env, n < 0 ? -errno : (double)n);
}
static napi_value ReadMem(napi_env env, napi_callback_info info) { return MemIo(env, info, 0); }
static napi_value WriteMem(napi_env env, napi_callback_info info) { return MemIo(env, info, 1); }

// pokeMem(pid, addr, buf): writes through /proc/PID/mem, which also reaches read-only pages.
static napi_value PokeMem(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *data;
  size_t len;
  if (argc < 3 || arg_bytes(env, argv[2], &data, &len)) {
    napi_throw_type_error(env, NULL, "pokeMem(pid, addr, buf)");
    return NULL;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", arg_int(env, argv[0]));
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return num(env, -errno);
  ssize_t n = pwrite(fd, data, len, (off_t)arg_u64(env, argv[1]));
  int err = errno;
  close(fd);
  return num(env, n < 0 ? -err : (double)n);
}

static napi_value Kill(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int tgid = arg_int(env, argv[0]), tid = arg_int(env, argv[1]), sig = arg_int(env, argv[2]);
  return num(env, syscall(SYS_tgkill, tgid, tid, sig) == 0 ? 0 : -errno);
}

// sigmask(pid) -> the blocked-signal mask of a stopped tracee, as a bigint.
static napi_value Sigmask(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint64_t mask = 0;
  napi_value out;
  if (ptrace(PTRACE_GETSIGMASK, arg_int(env, argv[0]), sizeof mask, &mask) != 0) mask = 0;
  napi_create_bigint_uint64(env, mask, &out);
  return out;
}

// siginfo(pid, buf, write) -> 0 or -errno: the siginfo of a tracee's signal-delivery-stop
// read into buf (128 bytes), or replaced by it (the sentry shows virtual pids in it).
static napi_value Siginfo(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  size_t len;
  CHECK(napi_get_typedarray_info(env, argv[1], NULL, &len, &data, NULL, NULL));
  if (len < sizeof(siginfo_t)) return num(env, -EINVAL);
  bool write;
  CHECK(napi_get_value_bool(env, argv[2], &write));
  long r = ptrace(write ? PTRACE_SETSIGINFO : PTRACE_GETSIGINFO, arg_int(env, argv[0]), 0, data);
  return num(env, r == 0 ? 0 : -errno);
}


// The stop watcher: a thread that, when armed, sleeps in waitid(WNOWAIT) until some
// tracee has a stop or an exit to report and then wakes the JS main thread once. It
// replaces SIGCHLD, which the kernel would otherwise deliver to Node (a signal frame, a
// pipe write and an event-loop wakeup) for every single ptrace stop. The main thread
// arms it each time it goes back to the event loop; waitid with WNOWAIT consumes nothing.
static sem_t watch_arm;
static napi_threadsafe_function watch_fn;
static pthread_t watch_thread;
static int watch_started;

static void *watch_main(void *unused) {
  (void)unused;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  for (;;) {
    while (sem_wait(&watch_arm) != 0 && errno == EINTR) {
    }
    siginfo_t info;
    memset(&info, 0, sizeof info);
    while (waitid(P_ALL, 0, &info, WEXITED | WSTOPPED | WNOWAIT | __WALL) != 0 && errno == EINTR) {
    }
    napi_call_threadsafe_function(watch_fn, NULL, napi_tsfn_nonblocking);
  }
  return NULL;
}

// watchStops(callback): starts the watcher; callback runs on the main thread after an arm
// once a stop or exit is pending (or no tracee is left).
static napi_value WatchStops(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (watch_started) {
    napi_throw_error(env, NULL, "watchStops: already started");
    return NULL;
  }
  CHECK(napi_create_string_utf8(env, "tssc-stop-watcher", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, NULL, &watch_fn));
  // The sandbox keeps the loop alive while it runs; the watcher must not.
  CHECK(napi_unref_threadsafe_function(env, watch_fn));
  if (sem_init(&watch_arm, 0, 0) != 0 || pthread_create(&watch_thread, NULL, watch_main, NULL) != 0) {
    napi_throw_error(env, NULL, "watchStops: cannot start the watcher thread");
    return NULL;
  }
  watch_started = 1;
  return NULL;
}

// armWatcher(): lets the watcher report the next pending stop once.
static napi_value ArmWatcher(napi_env env, napi_callback_info info) {
  (void)info;
  int value = 0;
  if (watch_started && sem_getvalue(&watch_arm, &value) == 0 && value == 0) sem_post(&watch_arm);
  return NULL;
}

// The [cur, max] slots of a BigUint64Array(2) argument; NULL when undefined or malformed.
static uint64_t *arg_rlimit(napi_env env, napi_value v) {
  bool is_typed;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return NULL;
  napi_typedarray_type type;
  size_t length, offset;
  napi_value ab;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, &length, &p, &ab, &offset) != napi_ok) return NULL;
  return type == napi_biguint64_array && length >= 2 ? p : NULL;
}

// prlimit(pid, resource, limit?: BigUint64Array [cur, max], old?: BigUint64Array) -> 0 or
// -errno: sets (and reads) a resource limit of a host process (0: the sentry itself), as
// the host kernel enforces it on a task.
static napi_value Prlimit(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "prlimit(pid, resource, limit?, old?)");
    return NULL;
  }
  uint64_t *next_slots = argc > 2 ? arg_rlimit(env, argv[2]) : NULL;
  uint64_t *old_slots = argc > 3 ? arg_rlimit(env, argv[3]) : NULL;
  struct rlimit next, old;
  if (next_slots) next = (struct rlimit){next_slots[0], next_slots[1]};
  if (prlimit(arg_int(env, argv[0]), arg_int(env, argv[1]), next_slots ? &next : NULL, old_slots ? &old : NULL) != 0) return num(env, -errno);
  if (old_slots) {
    old_slots[0] = old.rlim_cur;
    old_slots[1] = old.rlim_max;
  }
  return num(env, 0);
}
// watchdog.c: armWatchdog, disarmWatchdog, petWatchdog.
void watchdog_register(napi_env env, napi_value exports);

static napi_value Module(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"init", NULL, Init, NULL, NULL, NULL, napi_default, NULL},
      {"spawn", NULL, Spawn, NULL, NULL, NULL, napi_default, NULL},
      {"waitStop", NULL, WaitStop, NULL, NULL, NULL, napi_default, NULL},
      {"siginfo", NULL, Siginfo, NULL, NULL, NULL, napi_default, NULL},
      {"complete", NULL, Complete, NULL, NULL, NULL, napi_default, NULL},
      {"cont", NULL, Cont, NULL, NULL, NULL, napi_default, NULL},
      {"getRegs", NULL, GetRegs, NULL, NULL, NULL, napi_default, NULL},
      {"setRegs", NULL, SetRegs, NULL, NULL, NULL, napi_default, NULL},
      {"inject", NULL, Inject, NULL, NULL, NULL, napi_default, NULL},
      {"memfdCreate", NULL, MemfdCreate, NULL, NULL, NULL, napi_default, NULL},
      {"sendFd", NULL, SendFd, NULL, NULL, NULL, napi_default, NULL},
      {"sameFile", NULL, SameFile, NULL, NULL, NULL, napi_default, NULL},
      {"readMem", NULL, ReadMem, NULL, NULL, NULL, napi_default, NULL},
      {"writeMem", NULL, WriteMem, NULL, NULL, NULL, napi_default, NULL},
      {"pokeMem", NULL, PokeMem, NULL, NULL, NULL, napi_default, NULL},
      {"tgkill", NULL, Kill, NULL, NULL, NULL, napi_default, NULL},
      {"prlimit", NULL, Prlimit, NULL, NULL, NULL, napi_default, NULL},
      {"sigmask", NULL, Sigmask, NULL, NULL, NULL, napi_default, NULL},
      {"watchStops", NULL, WatchStops, NULL, NULL, NULL, napi_default, NULL},
      {"armWatcher", NULL, ArmWatcher, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  watchdog_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Module)
