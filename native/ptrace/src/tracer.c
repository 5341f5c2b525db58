// The native half of the ptrace platform: primitives only, no policy. The JS main thread
// is the tracer; every call here is made from it. Registers travel through one shared
// BigUint64Array (struct user_regs_struct order) and stop details through one shared
// Int32Array, so the hot path (stop -> handler -> resume) allocates nothing.
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
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
#ifndef PTRACE_SETSIGMASK
#define PTRACE_SETSIGMASK 0x420b
#endif
#ifndef PTRACE_PEEKSIGINFO
#define PTRACE_PEEKSIGINFO 0x4209
#endif
#ifndef PTRACE_GETSIGMASK
#define PTRACE_GETSIGMASK 0x420a
#endif

// state[] slots shared with JS (src/native/ptrace.ts mirrors them).
enum { ST_PID, ST_STATUS, ST_EVENTMSG, ST_SYSCALL_OP, ST_COUNT };

static struct user_regs_struct *regs;  // the shared register buffer
static int32_t *state;                 // the shared stop record
static napi_ref regs_ref, state_ref;   // keep both buffers alive
static int wait_timer_ok;
static void setup_wait_timer(void);

// Which tracees are stopped under the tracer: a stop of theirs was reaped and they have not
// been resumed since (a group-stop kept by PTRACE_LISTEN counts). One bit per possible tid
// (PID_MAX_LIMIT on 64-bit); only the pages for tids in use are ever touched.
#define TID_LIMIT (1 << 22)
static uint8_t held_bits[TID_LIMIT / 8];

static int in_range(pid_t tid) { return tid > 0 && tid < TID_LIMIT; }
static int is_held(pid_t tid) { return in_range(tid) && (held_bits[tid / 8] >> (tid % 8)) & 1; }
static void set_held(pid_t tid, int on) {
  if (!in_range(tid)) return;
  if (on) held_bits[tid / 8] |= (uint8_t)(1 << (tid % 8));
  else held_bits[tid / 8] &= (uint8_t)~(1 << (tid % 8));
}

// Frozen tracees: while the sentry has the host kernel read memory of an address space
// (an exec's path, a filter program), no other task of that address space may run. A
// frozen task is stopped; resuming it is deferred (the request and signal kept) until
// it is thawed, so the sentry handles its stops as usual and nothing lets it run.
struct frozen {
  pid_t tid;
  int deferred;  // a resume is waiting for the thaw
  enum __ptrace_request request;
  long sig;
};
static struct frozen *frozen_tasks;
static size_t frozen_count, frozen_capacity;

static struct frozen *find_frozen(pid_t tid) {
  for (size_t i = 0; i < frozen_count; i++)
    if (frozen_tasks[i].tid == tid) return &frozen_tasks[i];
  return NULL;
}

static void forget_frozen(pid_t tid) {
  struct frozen *f = find_frozen(tid);
  if (f) *f = frozen_tasks[--frozen_count];
}

// How each tracee runs when it is resumed to its next event (PTRACE_CONT): RUN_PLAIN as
// asked, RUN_SYSCALLS stopping at every syscall's entry and exit too (PTRACE_SYSCALL), or
// RUN_STEP one instruction at a time (PTRACE_SINGLESTEP): what a tracer inside the sandbox
// asked of its tracee. One byte per possible tid; only the pages for tids in use are touched.
enum { RUN_PLAIN, RUN_SYSCALLS, RUN_STEP };
static uint8_t run_modes[TID_LIMIT];

static int run_mode(pid_t tid) { return in_range(tid) ? run_modes[tid] : RUN_PLAIN; }

// Resumes a stopped tracee with request (PTRACE_CONT, PTRACE_SYSCALL, PTRACE_LISTEN), or
// keeps the request for its thaw when it is frozen. PTRACE_CONT follows the tid's run mode.
static int resume(pid_t tid, enum __ptrace_request request, long sig) {
  if (request == PTRACE_CONT && run_mode(tid) != RUN_PLAIN) request = run_mode(tid) == RUN_SYSCALLS ? PTRACE_SYSCALL : PTRACE_SINGLESTEP;
  struct frozen *f = frozen_count ? find_frozen(tid) : NULL;
  if (f) {
    f->deferred = 1;
    f->request = request;
    f->sig = sig;
    return 0;
  }
  if (ptrace(request, tid, 0, (void *)sig) != 0) return -errno;
  if (request != PTRACE_LISTEN) set_held(tid, 0);
  return 0;
}

// What a reaped wait status says about the tracee's stop bookkeeping. At an exec by a
// thread that is not the leader, the execing thread took the leader's tid (former is its
// own): neither tid stands for the task that was frozen under it any more.
static void note_reaped(pid_t pid, int status, unsigned long former) {
  if (!WIFSTOPPED(status)) {
    set_held(pid, 0);
    forget_frozen(pid);
    // A later thread with this tid runs as it is asked to, not as this one was.
    if (in_range(pid)) run_modes[pid] = RUN_PLAIN;
    return;
  }
  set_held(pid, 1);
  // A thread at its exit stop runs no instruction of the workload's again, and an exec
  // waits for the other threads it killed to be through theirs: it may go on.
  if (status >> 16 == PTRACE_EVENT_EXIT) forget_frozen(pid);
  if (status >> 16 == PTRACE_EVENT_EXEC) {
    forget_frozen(pid);
    if ((pid_t)former != pid) {
      forget_frozen((pid_t)former);
      set_held((pid_t)former, 0);
    }
  }
}

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
    napi_throw_type_error(env, NULL, "init(regs: BigUint64Array(27), state: Int32Array(4))");
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

// The stub every sandboxed execve really runs is exec'd through this fd of every workload
// process (execveat AT_EMPTY_PATH): an open file of the sentry's, kept (not O_CLOEXEC)
// through forks and the stub's execs, and as unreachable for the workload as the donor fd.
// The host kernel never looks a path up for an exec.
#define WORKLOAD_STUB_FD 4

static void child(int stub_fd, int sync_fd, const int *stdio, int nstdio,
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
  int stub_moved = fcntl(stub_fd, F_DUPFD, 64);
  for (int i = 0; i < nstdio; i++) {
    if (moved[i] >= 0) dup2(moved[i], i);
    else close(i);
  }
  char b;
  while (read(sync_fd, &b, 1) < 0 && errno == EINTR) {
  }
  dup2(donor_moved, WORKLOAD_DONOR_FD);
  dup2(stub_moved, WORKLOAD_STUB_FD);
  if (nstdio < WORKLOAD_DONOR_FD) syscall(SYS_close_range, nstdio, WORKLOAD_DONOR_FD - 1, 0);
  syscall(SYS_close_range, WORKLOAD_STUB_FD + 1, ~0U, 0);
  for (int i = 0; i < nlimits; i++) set_limit(&limits[i]);
  drop_capabilities();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) != 0) _exit(126);
  char *argv[] = {"tssc-stub", NULL};
  char *envp[] = {NULL};
  syscall(SYS_execveat, WORKLOAD_STUB_FD, "", argv, envp, AT_EMPTY_PATH);
  _exit(127);
}

// spawn(stubFd, stdioFds: number[] (max 3, -1 = closed), filter: Buffer of sock_filter,
//       ptraceOptions, limits?: [resource, soft, hard][] (-1 = unlimited)) -> host pid.
//       The child waits until it is seized, sets the limits, installs the filter and execs
//       the stub through stubFd (that execveat is the first trapped call the sentry sees).
#define MAX_LIMITS 16
static napi_value Spawn(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t stub_fd = -1;
  uint8_t *filter;
  size_t flen;
  uint32_t nstdio = 0;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &stub_fd) != napi_ok || stub_fd < 0 ||
      napi_get_array_length(env, argv[1], &nstdio) != napi_ok || nstdio > 3 ||
      arg_bytes(env, argv[2], &filter, &flen) || flen % sizeof(struct sock_filter) != 0) {
    napi_throw_type_error(env, NULL, "spawn(stubFd, stdio: number[], filter: Buffer, options: number)");
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
    child(stub_fd, sync[0], stdio, (int)nstdio, &prog, limits, (int)nlimits);
  }
  int err = pid < 0 ? errno : 0;
  if (pid > 0) set_held(pid, 0);
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
      state[ST_SYSCALL_OP] = PTRACE_SYSCALL_INFO_EXIT;
      unsigned long msg = (unsigned long)pid;
      if (WIFSTOPPED(status)) {
        int event = status >> 16;
        if (event == PTRACE_EVENT_SECCOMP || WSTOPSIG(status) == (SIGTRAP | 0x80)) {
          if (ptrace(PTRACE_GETREGS, pid, 0, regs) != 0) state[ST_EVENTMSG] = -errno;
          // Only a tracee run to every syscall stops at an entry; the others' are the ends
          // of calls the sentry had the host run.
          if (event == 0 && run_mode(pid) != RUN_PLAIN) {
            struct __ptrace_syscall_info call;
            if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof call, &call) > 0) state[ST_SYSCALL_OP] = call.op;
          }
        } else if (event != 0 && event != PTRACE_EVENT_STOP) {
          ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
          state[ST_EVENTMSG] = (int32_t)msg;
        }
      }
      note_reaped(pid, status, msg);
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

// Whether a task is still stopped where the sentry left it to answer its call, rather than
// at its PTRACE_EVENT_EXIT stop or on the way there. A SIGKILL the sentry sent it (its own
// raise(SIGKILL), a kill from another task) ends any stop at once, and the task may already
// sit at its exit stop when the answer comes: resuming that stop as if it were the call's
// would skip the sentry's work at the exit stop (robust futexes), so the answer is dropped
// and the exit stop, still unreaped, goes through the loop as any other. (The stop being
// answered is not always a syscall stop: after an injected step it is the step's SIGTRAP.)
static int still_stopped(pid_t pid) {
  siginfo_t si;
  if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) != 0) return 0;
  return si.si_code != (SIGTRAP | (PTRACE_EVENT_EXIT << 8));
}

// complete(pid, result, spinUs, blockUs): ends the trapped syscall at a seccomp stop with
// result (skipping the kernel's run of it), resumes the task and waits for the next stop.
static napi_value Complete(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int pid = arg_int(env, argv[0]);
  if (!still_stopped(pid)) return num(env, -ESRCH - 1000);
  regs->orig_rax = (unsigned long long)-1;
  regs->rax = arg_u64(env, argv[1]);
  if (ptrace(PTRACE_SETREGS, pid, 0, regs) != 0) return num(env, -errno - 1000);
  int resumed = resume(pid, PTRACE_CONT, 0);
  if (resumed < 0) return num(env, resumed - 1000);
  return num(env, wait_stop_args(env, argc, argv, 2));
}

// cont(pid, signal, mode, fromSyscall): resumes a stopped task; mode 0 PTRACE_CONT, 1
// PTRACE_SYSCALL (to see the exit of the current call), 2 PTRACE_LISTEN (keep a group-stop).
// With fromSyscall, only from the stop of the call being answered (-ESRCH when the task has
// left it for its exit: see still_stopped).
static napi_value Cont(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int pid = arg_int(env, argv[0]);
  long sig = argc > 1 ? arg_int(env, argv[1]) : 0;
  int mode = argc > 2 ? arg_int(env, argv[2]) : 0;
  bool from_syscall = false;
  if (argc > 3) napi_get_value_bool(env, argv[3], &from_syscall);
  if (from_syscall && !still_stopped(pid)) return num(env, -ESRCH);
  enum __ptrace_request req = mode == 1 ? PTRACE_SYSCALL : mode == 2 ? PTRACE_LISTEN : PTRACE_CONT;
  return num(env, resume(pid, req, sig));
}

// freeze(tid) -> 1 when the task is already stopped under the tracer, 0 when it was
// interrupted (its stop is still to come: it reports one before it runs any instruction),
// -errno (ESRCH: gone). Either way, until thaw(tid) every resume of it is deferred.
static napi_value Freeze(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pid_t tid = arg_int(env, argv[0]);
  int stopped = is_held(tid);
  if (!stopped && ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0) return num(env, -errno);
  if (!find_frozen(tid)) {
    if (frozen_count == frozen_capacity) {
      size_t capacity = frozen_capacity ? frozen_capacity * 2 : 16;
      struct frozen *grown = realloc(frozen_tasks, capacity * sizeof *grown);
      if (!grown) return num(env, -ENOMEM);
      frozen_tasks = grown;
      frozen_capacity = capacity;
    }
    frozen_tasks[frozen_count++] = (struct frozen){tid, 0, PTRACE_CONT, 0};
  }
  return num(env, stopped);
}

// thaw(tid) -> 0 or -errno: lets the task run again; a resume deferred meanwhile is made now.
static napi_value Thaw(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pid_t tid = arg_int(env, argv[0]);
  struct frozen *f = find_frozen(tid);
  if (!f) return num(env, 0);
  struct frozen was = *f;
  forget_frozen(tid);
  return num(env, was.deferred ? resume(tid, was.request, was.sig) : 0);
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

// How inject() runs a call: over the `syscall` instruction at rip by single steps, to the
// call's exit or only to its seccomp stop (a call the sentry's filter traps: the task stays
// in that stop, for the sentry to let the kernel run it), or in place of the call a task is
// stopped at a seccomp stop in (orig_rax and the arguments set; no instruction runs).
enum { INJECT_STEP, INJECT_IN_PLACE, INJECT_TO_SECCOMP };
// Every injected call ends: within this many stops of its own and this much time, or the
// task dies. Signal-delivery stops do not count: a 200 us interval timer delivers dozens
// while a loaded machine runs the step, and each one is held once, so the deadline
// bounds them.
#define INJECT_MAX_STOPS 64
#define INJECT_LIMIT_US 5e6

// Ends a task the sentry can no longer drive: its whole process, as an exec past its
// point of no return. Its exit reaches the tracer's wait like any other.
static int kill_task(pid_t tid, int err) {
  syscall(SYS_tkill, tid, SIGKILL);
  return -err;
}

// Waits until tid stops (1, the stop reaped into *status), is dying or gone (0, left for the
// tracer's wait), or the deadline passes (-ETIMEDOUT); -errno when waiting fails.
static int wait_injected(pid_t tid, double deadline, int *status) {
  for (;;) {
    siginfo_t peek;
    memset(&peek, 0, sizeof peek);
    double left = deadline - now_us();
    if (left <= 0) return -ETIMEDOUT;
    int timed = wait_timer_ok;
    if (timed) arm_wait_timer(left);
    int r = waitid(P_PID, tid, &peek, WEXITED | WSTOPPED | WNOWAIT | __WALL);
    int err = errno;
    if (timed) disarm_wait_timer();
    if (r != 0) {
      if (err == EINTR) continue;
      return -err;
    }
    // An exit, or the exit stop before it, is only looked at: the tracer's wait takes it.
    if (peek.si_code != CLD_TRAPPED && peek.si_code != CLD_STOPPED) return 0;
    if (peek.si_code == CLD_TRAPPED && peek.si_status >> 8 == PTRACE_EVENT_EXIT) return 0;
    if (waitpid(tid, status, WNOHANG | __WALL) != tid) return -ECHILD;
    return 1;
  }
}

// A signal the kernel raised for the instruction the task just ran (a fault, a trap), as
// opposed to one sent to it: the injected step did not do what it was meant to.
static int raised_by_step(int sig, const siginfo_t *si) {
  if (si->si_code <= 0) return 0;
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS;
}

static int is_restart(long long rax) { return rax <= -512 && rax >= -516; }

// inject(pid, mode): runs the syscall the register buffer describes in a stopped task (see
// the modes above); the registers it ends with are in the buffer. Returns 0 when the call
// ended (its result in rax), 1 when it is at its seccomp stop (INJECT_TO_SECCOMP), or
// -errno: ESRCH when the task died or is dying; EFAULT when the step faulted or ran
// something other than a syscall, ELOOP after too many stops, ETIMEDOUT after too long:
// then the task is killed. Signals sent to the task meanwhile are held back (resuming a
// signal-delivery-stop without its signal drops it) and queued again once the call is done.
static napi_value Inject(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int pid = arg_int(env, argv[0]);
  int mode = argc > 1 ? arg_int(env, argv[1]) : INJECT_STEP;
  unsigned long long start = regs->rip, nr = regs->rax;
  if (mode != INJECT_IN_PLACE) regs->orig_rax = (unsigned long long)-1;
  if (ptrace(PTRACE_SETREGS, pid, 0, regs) != 0) return num(env, -errno);
  siginfo_t held[MAX_HELD_SIGNALS];
  int nheld = 0;
  enum __ptrace_request request = mode == INJECT_IN_PLACE ? PTRACE_SYSCALL : PTRACE_SINGLESTEP;
  double deadline = now_us() + INJECT_LIMIT_US;
  int outcome = -ELOOP, stops = 0;
  while (++stops <= INJECT_MAX_STOPS) {
    if (ptrace(request, pid, 0, 0) != 0) {
      outcome = -errno;
      break;
    }
    int status = 0;
    int waited = wait_injected(pid, deadline, &status);
    if (waited <= 0) {
      outcome = waited == 0 ? -ESRCH : waited == -ETIMEDOUT ? kill_task(pid, ETIMEDOUT) : waited;
      break;
    }
    int event = status >> 16, sig = WSTOPSIG(status);
    if (event == PTRACE_EVENT_SECCOMP) {
      if (mode == INJECT_TO_SECCOMP) {
        outcome = ptrace(PTRACE_GETREGS, pid, 0, regs) == 0 ? 1 : -errno;
        break;
      }
      request = PTRACE_SYSCALL;  // the filter trapped the call: let the kernel run it
      continue;
    }
    if (event != 0) continue;  // a group-stop or the like: go on
    int ended = sig == (SIGTRAP | 0x80);  // the call's syscall-exit stop
    if (!ended) {
      siginfo_t si;
      memset(&si, 0, sizeof si);
      if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) != 0) {
        si.si_signo = sig;
        si.si_code = SI_TKILL;
      }
      if (!raised_by_step(sig, &si)) {
        if (nheld < MAX_HELD_SIGNALS) held[nheld++] = si;
        stops--;  // a signal sent to the task, not a stop of the call's
        continue;
      }
    }
    if (ptrace(PTRACE_GETREGS, pid, 0, regs) != 0) {
      outcome = -errno;
      break;
    }
    // A step's trap with no syscall in it (orig_rax is -1 but inside one): the instruction
    // at rip was not the syscall (its page unmapped, not executable, or replaced), or the
    // kernel refused it (SIGSYS of a filter's SECCOMP_RET_TRAP). Stepping again would fault
    // again: the task cannot be driven.
    if (!ended && (sig != SIGTRAP || regs->orig_rax == (unsigned long long)-1)) {
      outcome = kill_task(pid, EFAULT);
      break;
    }
    // Interrupted by a signal the task will see later: make the call again.
    if (mode != INJECT_IN_PLACE && is_restart((long long)regs->rax)) {
      regs->rip = start;
      regs->rax = nr;
      regs->orig_rax = (unsigned long long)-1;
      request = PTRACE_SINGLESTEP;
      if (ptrace(PTRACE_SETREGS, pid, 0, regs) != 0) {
        outcome = -errno;
        break;
      }
      continue;
    }
    if (mode == INJECT_IN_PLACE && is_restart((long long)regs->rax)) regs->rax = (unsigned long long)-EINTR;
    outcome = 0;
    break;
  }
  if (outcome == -ELOOP) kill_task(pid, ELOOP);
  requeue_signals(pid, held, nheld);
  return num(env, outcome);
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

// setSigmask(pid, mask) -> 0 or -errno: replaces a stopped tracee's blocked-signal mask
// (the kernel keeps SIGKILL and SIGSTOP unblockable).
static napi_value SetSigmask(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint64_t mask = 0;
  bool lossless;
  CHECK(napi_get_value_bigint_uint64(env, argv[1], &mask, &lossless));
  long r = ptrace(PTRACE_SETSIGMASK, arg_int(env, argv[0]), sizeof mask, &mask);
  return num(env, r == 0 ? 0 : -errno);
}

// peekSiginfo(pid, off, shared, buf) -> the number of queued siginfos (128 bytes each)
// read into buf from position off of a stopped tracee's pending queue (its own, or its
// process's when shared), or -errno.
static napi_value PeekSiginfo(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct {
    uint64_t off;
    uint32_t flags;
    int32_t nr;
  } args;
  uint32_t off;
  CHECK(napi_get_value_uint32(env, argv[1], &off));
  bool shared;
  CHECK(napi_get_value_bool(env, argv[2], &shared));
  void *data;
  size_t len;
  CHECK(napi_get_typedarray_info(env, argv[3], NULL, &len, &data, NULL, NULL));
  args.off = off;
  args.flags = shared ? 1 : 0;
  args.nr = (int32_t)(len / sizeof(siginfo_t));
  long r = ptrace(PTRACE_PEEKSIGINFO, arg_int(env, argv[0]), &args, data);
  return num(env, r >= 0 ? (int)r : -errno);
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
// setRunMode(tid, mode): how the tracee runs from its next resume on (RUN_*).
static napi_value SetRunMode(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pid_t tid = arg_int(env, argv[0]);
  int mode = arg_int(env, argv[1]);
  if (!in_range(tid) || mode < RUN_PLAIN || mode > RUN_STEP) return num(env, -EINVAL);
  run_modes[tid] = (uint8_t)mode;
  return num(env, 0);
}

// interrupt(tid) -> 0 or -errno: a running tracee stops (PTRACE_EVENT_STOP) at its next chance.
static napi_value Interrupt(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  return num(env, ptrace(PTRACE_INTERRUPT, arg_int(env, argv[0]), 0, 0) == 0 ? 0 : -errno);
}

// syscallOp(pid) -> PTRACE_SYSCALL_INFO_* of the stop a tracee is in, or -errno.
static napi_value SyscallOp(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct __ptrace_syscall_info call;
  if (ptrace(PTRACE_GET_SYSCALL_INFO, arg_int(env, argv[0]), sizeof call, &call) < 0) return num(env, -errno);
  return num(env, call.op);
}

// regset(pid, type, buf, write) -> bytes moved or -errno: a stopped tracee's register set
// (NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE) read into buf or written from it; the host
// kernel checks what is written as it checks any tracer's.
static napi_value Regset(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *data;
  size_t length;
  if (argc < 4 || arg_bytes(env, argv[2], &data, &length)) {
    napi_throw_type_error(env, NULL, "regset(pid, type, buf, write)");
    return NULL;
  }
  bool write = false;
  napi_get_value_bool(env, argv[3], &write);
  struct iovec iov = {data, length};
  if (ptrace(write ? PTRACE_SETREGSET : PTRACE_GETREGSET, arg_int(env, argv[0]), (void *)(long)arg_int(env, argv[1]), &iov) != 0) return num(env, -errno);
  return num(env, (int)iov.iov_len);
}

// debugReg(pid, index, value?) -> the debug register's value, or -errno as a negative
// bigint: reads (or writes, with value) DR0..DR7 of a stopped tracee through the user
// area; the host kernel refuses addresses and DR7 bits it would not take from any tracer.
static napi_value DebugReg(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pid_t pid = arg_int(env, argv[0]);
  int index = arg_int(env, argv[1]);
  napi_value out;
  if (index < 0 || index > 7) {
    CHECK(napi_create_bigint_int64(env, -EIO, &out));
    return out;
  }
  long offset = (long)offsetof(struct user, u_debugreg) + index * (long)sizeof(long);
  if (argc > 2) {
    uint64_t value = arg_u64(env, argv[2]);
    long r = ptrace(PTRACE_POKEUSER, pid, (void *)offset, (void *)value);
    CHECK(napi_create_bigint_int64(env, r == 0 ? 0 : -errno, &out));
    return out;
  }
  errno = 0;
  long value = ptrace(PTRACE_PEEKUSER, pid, (void *)offset, 0);
  if (errno != 0) CHECK(napi_create_bigint_int64(env, -errno, &out));
  else CHECK(napi_create_bigint_uint64(env, (uint64_t)value, &out));
  return out;
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
      {"freeze", NULL, Freeze, NULL, NULL, NULL, napi_default, NULL},
      {"thaw", NULL, Thaw, NULL, NULL, NULL, napi_default, NULL},
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
      {"setSigmask", NULL, SetSigmask, NULL, NULL, NULL, napi_default, NULL},
      {"peekSiginfo", NULL, PeekSiginfo, NULL, NULL, NULL, napi_default, NULL},
      {"setRunMode", NULL, SetRunMode, NULL, NULL, NULL, napi_default, NULL},
      {"interrupt", NULL, Interrupt, NULL, NULL, NULL, napi_default, NULL},
      {"syscallOp", NULL, SyscallOp, NULL, NULL, NULL, napi_default, NULL},
      {"regset", NULL, Regset, NULL, NULL, NULL, napi_default, NULL},
      {"debugReg", NULL, DebugReg, NULL, NULL, NULL, napi_default, NULL},
      {"watchStops", NULL, WatchStops, NULL, NULL, NULL, napi_default, NULL},
      {"armWatcher", NULL, ArmWatcher, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  watchdog_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Module)
