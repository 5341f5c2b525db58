// The watchdog: a stuck sentry still dies. Only the JS loop forwards a terminating signal to
// the sandbox; stuck in a native call that does not return or in a loop that does not
// yield, it takes none, and the sandbox would run on whatever its user did. armWatchdog puts
// a handler in front of the ones Node installed for those signals: it notes the signal and
// wakes the watchdog thread, then calls Node's. The loop pets the watchdog while it runs;
// once a terminating signal has come, a loop that has not petted it for the grace period
// (counted from the signal at the earliest) ends the process with exit status 128 + the
// signal, as tssc ends when that signal ends its container's init. Counting from pets rather
// than from the signal's delivery to JS covers a loop that took the signal and got stuck
// right after, before the forwarded signal could act. The tracer's death kills every task
// (PTRACE_O_EXITKILL): no workload outlives it.
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIGNAL 64

static struct sigaction chained[MAX_SIGNAL + 1];  // the handler each of ours runs after it
static unsigned char armed[MAX_SIGNAL + 1];
static volatile sig_atomic_t last_signal;
static atomic_llong alarm_ms;  // when the last terminating signal came; 0: none since armed
static atomic_llong pet_ms;    // when the loop last showed it runs
static atomic_int grace_ms;
static sem_t wake;
static pthread_t thread;
static int started;

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static void on_signal(int sig, siginfo_t *info, void *context) {
  int saved = errno;
  last_signal = sig;
  atomic_store(&alarm_ms, now_ms());
  sem_post(&wake);
  struct sigaction *next = &chained[sig];
  if (next->sa_flags & SA_SIGINFO) next->sa_sigaction(sig, info, context);
  else if (next->sa_handler != SIG_DFL && next->sa_handler != SIG_IGN) next->sa_handler(sig);
  errno = saved;
}

static void end_process(int sig, int grace) {
  char message[200];
  const char *name = sigabbrev_np(sig);
  int n = snprintf(message, sizeof message, "tssc: the sentry has not run for %d ms since SIG%s: it ends, and every task with it\n",
                   grace, name ? name : "?");
  if (n > 0 && write(STDERR_FILENO, message, (size_t)n) < 0) {
    // Nothing better to do: the exit status says it.
  }
  _exit(128 + sig);
}

static void *watch(void *unused) {
  (void)unused;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  for (;;) {
    long long alarm = atomic_load(&alarm_ms);
    if (alarm == 0) {
      while (sem_wait(&wake) != 0 && errno == EINTR) {
      }
      continue;
    }
    long long pet = atomic_load(&pet_ms);
    int grace = atomic_load(&grace_ms);
    if (now_ms() - (pet > alarm ? pet : alarm) > grace) end_process(last_signal, grace);
    struct timespec step = {0, 50 * 1000 * 1000};
    nanosleep(&step, NULL);
  }
  return NULL;
}

// armWatchdog(signals: number[], graceMs) -> 0 or -errno: the watchdog takes over those of
// signals that have a handler (Node's, for a process.on listener); the others are left alone.
static napi_value ArmWatchdog(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  uint32_t count = 0;
  int32_t grace = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_array_length(env, argv[0], &count) != napi_ok || napi_get_value_int32(env, argv[1], &grace) != napi_ok) {
    napi_throw_type_error(env, NULL, "armWatchdog(signals: number[], graceMs: number)");
    return NULL;
  }
  int err = 0;
  if (!started) {
    if (sem_init(&wake, 0, 0) != 0 || pthread_create(&thread, NULL, watch, NULL) != 0) err = errno;
    else started = 1;
  }
  atomic_store(&grace_ms, grace);
  atomic_store(&pet_ms, now_ms());
  for (uint32_t i = 0; i < count && !err; i++) {
    napi_value v;
    int32_t sig = 0;
    napi_get_element(env, argv[0], i, &v);
    napi_get_value_int32(env, v, &sig);
    struct sigaction now;
    if (sig < 1 || sig > MAX_SIGNAL || armed[sig] || sigaction(sig, NULL, &now) != 0) continue;
    if (!(now.sa_flags & SA_SIGINFO) && (now.sa_handler == SIG_DFL || now.sa_handler == SIG_IGN)) continue;
    struct sigaction ours;
    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = on_signal;
    ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&ours.sa_mask);
    if (sigaction(sig, &ours, &chained[sig]) != 0) err = errno;
    else armed[sig] = 1;
  }
  napi_create_int32(env, -err, &out);
  return out;
}

// disarmWatchdog(): Node's handlers back in front (where ours still are), nothing watched.
static napi_value DisarmWatchdog(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  for (int sig = 1; sig <= MAX_SIGNAL; sig++) {
    if (!armed[sig]) continue;
    struct sigaction now;
    if (sigaction(sig, NULL, &now) == 0 && (now.sa_flags & SA_SIGINFO) && now.sa_sigaction == on_signal) sigaction(sig, &chained[sig], NULL);
    armed[sig] = 0;
  }
  atomic_store(&alarm_ms, 0);
  return NULL;
}

// petWatchdog(): the loop runs.
static napi_value PetWatchdog(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  atomic_store(&pet_ms, now_ms());
  return NULL;
}

void watchdog_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"armWatchdog", NULL, ArmWatchdog, NULL, NULL, NULL, napi_default, NULL},
      {"disarmWatchdog", NULL, DisarmWatchdog, NULL, NULL, NULL, napi_default, NULL},
      {"petWatchdog", NULL, PetWatchdog, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
