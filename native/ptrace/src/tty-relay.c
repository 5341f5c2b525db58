// tssc-tty-relay: the controlling process of an exec'd process's terminal. The sentry can
// have one controlling terminal (the container's); an exec's new pty needs a session on
// the host for its line discipline to raise anything, or a typed ^C in cooked mode is
// lost. Started by the sentry (console.c, startTerminalRelay) with the pty's slave as fd 0
// and a stream socket to the sentry as fd 1, it leads a session of its own, takes the
// slave as that session's controlling terminal (its process group is then the terminal's
// foreground, for good: nothing else is in the session), lets the slave go, and writes
// one byte per signal the terminal raises (SIGINT, SIGQUIT, SIGTSTP, SIGWINCH, SIGHUP),
// its number, to the sentry, which delivers it inside to the foreground process group of
// the exec'd process's terminal. First byte: 0 once it controls the terminal, or the
// errno that stopped it. It ends on the terminal's hangup or when the sentry closes its end.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define TERMINAL 0
#define SENTRY 1

static int tell(unsigned char byte) {
  ssize_t n;
  do n = write(SENTRY, &byte, 1);
  while (n < 0 && errno == EINTR);
  return n == 1 ? 0 : -1;
}

int main(void) {
  sigset_t relayed;
  sigemptyset(&relayed);
  int numbers[] = {SIGINT, SIGQUIT, SIGTSTP, SIGWINCH, SIGHUP};
  for (unsigned i = 0; i < sizeof numbers / sizeof numbers[0]; i++) sigaddset(&relayed, numbers[i]);
  // Taken by the signalfd only; SIGCONT (sent with a hangup) and job-control stops stay harmless.
  sigset_t blocked = relayed;
  sigaddset(&blocked, SIGTTIN);
  sigaddset(&blocked, SIGTTOU);
  sigaddset(&blocked, SIGPIPE);
  sigprocmask(SIG_BLOCK, &blocked, NULL);
  // An ignored signal never reaches the signalfd (and the sentry's ignored ones survive exec).
  for (unsigned i = 0; i < sizeof numbers / sizeof numbers[0]; i++) signal(numbers[i], SIG_DFL);
  int sigs = signalfd(-1, &relayed, SFD_CLOEXEC);
  if (sigs < 0 || setsid() < 0 || ioctl(TERMINAL, TIOCSCTTY, 0) != 0) {
    tell((unsigned char)errno);
    return 1;
  }
  // The terminal stays this session's without an fd: the shim sees the slave close when
  // the exec'd process is done with it.
  int null = open("/dev/null", O_RDONLY);
  if (null >= 0 && null != TERMINAL) {
    dup2(null, TERMINAL);
    close(null);
  }
  if (tell(0) != 0) return 1;
  struct pollfd watched[2] = {{.fd = sigs, .events = POLLIN}, {.fd = SENTRY, .events = POLLIN}};
  for (;;) {
    if (poll(watched, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    // The sentry closed its end (the process is done, or the sentry is gone).
    if (watched[1].revents) return 0;
    if (!(watched[0].revents & POLLIN)) continue;
    struct signalfd_siginfo info;
    if (read(sigs, &info, sizeof info) != sizeof info) continue;
    // Only what the kernel raised (the terminal): a kill(2) of this process is no keystroke.
    if (info.ssi_code != SI_KERNEL) continue;
    if (tell((unsigned char)info.ssi_signo) != 0) return 0;
    // A hangup: the terminal is no session's any more.
    if (info.ssi_signo == SIGHUP) return 0;
  }
}
