// Runs a command as a child subreaper with a deadline: proof that nothing it starts outlives
// it, and that it ends when told to. Every process the command leaves behind is reparented
// here; once the command is gone, any that remain are listed ("survivor PID STATE NAME"),
// killed and counted.
//
// usage: subreaper SECONDS CMD [ARGS...]
// exit: the command's status (its code, or 128 + its signal); 124 when it outlived the
// deadline (SIGTERM, then SIGKILL 5 s later); 3 when anything survived it.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/** Waits for pid until the deadline; 1 when it was reaped (status filled), 0 on timeout. */
static int wait_until(pid_t pid, int *status, double deadline) {
  while (now() < deadline) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) return 1;
    if (r < 0 && errno != EINTR) return 1;
    usleep(10000);
  }
  return 0;
}

static void describe(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "re");
  if (f && fgets(line, sizeof line, f)) {
    char *name = strchr(line, '('), *end = strrchr(line, ')');
    if (name && end && end[1] == ' ') {
      *end = 0;
      fprintf(stderr, "survivor %d %c %s\n", pid, end[2], name + 1);
    }
  } else {
    fprintf(stderr, "survivor %d\n", pid);
  }
  if (f) fclose(f);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: subreaper SECONDS CMD [ARGS...]\n");
    return 2;
  }
  double seconds = atof(argv[1]);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    perror("subreaper: PR_SET_CHILD_SUBREAPER");
    return 2;
  }
  pid_t child = fork();
  if (child == 0) {
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    _exit(127);
  }
  int status = 0, timed_out = 0;
  if (!wait_until(child, &status, now() + seconds)) {
    timed_out = 1;
    fprintf(stderr, "subreaper: %s outlived %.0f s: SIGTERM\n", argv[2], seconds);
    kill(child, SIGTERM);
    if (!wait_until(child, &status, now() + 5)) {
      fprintf(stderr, "subreaper: %s ignored SIGTERM for 5 s: SIGKILL\n", argv[2]);
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
    }
  }
  // What the command left: its tasks die with their tracer, so give them a moment.
  int survivors = 0;
  double settle = now() + 2;
  for (;;) {
    int s;
    pid_t r = waitpid(-1, &s, WNOHANG);
    if (r > 0) continue;
    if (r < 0) break;  // ECHILD: nothing left
    if (now() < settle) {
      usleep(20000);
      continue;
    }
    // Still there after the grace period: list and kill them.
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", getpid(), getpid());
    FILE *f = fopen(path, "re");
    int pid;
    while (f && fscanf(f, "%d", &pid) == 1) {
      describe(pid);
      survivors++;
      kill(pid, SIGKILL);
    }
    if (f) fclose(f);
    while (waitpid(-1, &s, 0) > 0) {
    }
    break;
  }
  if (survivors) return 3;
  if (timed_out) return 124;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
