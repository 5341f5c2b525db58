// Terminal and fd-passing primitives for the OCI lifecycle: a new pseudo-terminal, its
// master sent over a console socket with SCM_RIGHTS as runc sends it, the slave made the
// sentry's controlling terminal, a terminal's current size, and an exec's stdio sent to
// the sentry over its control socket (and received there). Node has none of these;
// no policy lives here.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static napi_value num(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static int arg_string(napi_env env, napi_value v, char *buf, size_t size) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) return -1;
  return len + 1 < size ? 0 : -1;
}

// openPty() -> [masterFd, slaveFd, slavePath] (both close-on-exec, neither a controlling
// terminal yet), or -errno.
static napi_value OpenPty(napi_env env, napi_callback_info info) {
  (void)info;
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return num(env, -errno);
  char name[128];
  if (grantpt(master) != 0 || unlockpt(master) != 0 || ptsname_r(master, name, sizeof name) != 0) {
    int err = errno;
    close(master);
    return num(env, -err);
  }
  int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    int err = errno;
    close(master);
    return num(env, -err);
  }
  napi_value out, path;
  napi_create_array_with_length(env, 3, &out);
  napi_set_element(env, out, 0, num(env, master));
  napi_set_element(env, out, 1, num(env, slave));
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &path);
  napi_set_element(env, out, 2, path);
  return out;
}

// Sends payload with fds attached (SCM_RIGHTS) on the connected unix stream socket sock:
// the fds ride on the first bytes, the rest of payload follows. 0 or -errno.
// SCM_MAX_FD: an exec's stdio and the fds it preserves.
#define MAX_SENT_FDS 253
static int send_with_fds(int sock, const char *payload, size_t len, const int *fds, int nfds) {
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * MAX_SENT_FDS)];
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {(void *)payload, len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = CMSG_SPACE(sizeof(int) * nfds)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
  memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  ssize_t sent;
  do sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) return -errno;
  for (size_t done = (size_t)sent; done < len; done += (size_t)sent) {
    do sent = send(sock, payload + done, len - done, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    if (sent < 0) return -errno;
  }
  return 0;
}

// A unix stream socket (close-on-exec) connected to path, or -errno.
static int connect_unix(const struct sockaddr_un *addr) {
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -errno;
  if (connect(sock, (const struct sockaddr *)addr, sizeof *addr) != 0) {
    int err = errno;
    close(sock);
    return -err;
  }
  return sock;
}

static int arg_path(napi_env env, napi_value v, struct sockaddr_un *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  return arg_string(env, v, addr->sun_path, sizeof addr->sun_path);
}

// sendConsole(socketPath, fd, payload) -> 0 or -errno: connects to the unix stream socket
// at socketPath and sends fd with one SCM_RIGHTS message whose data is payload.
static napi_value SendConsole(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct sockaddr_un addr;
  char payload[256];
  int32_t fd = -1;
  if (argc < 3 || arg_path(env, argv[0], &addr) != 0 || napi_get_value_int32(env, argv[1], &fd) != napi_ok ||
      arg_string(env, argv[2], payload, sizeof payload) != 0) {
    return num(env, -EINVAL);
  }
  int sock = connect_unix(&addr);
  if (sock < 0) return num(env, sock);
  int err = send_with_fds(sock, payload, strlen(payload), &fd, 1);
  close(sock);
  return num(env, err);
}

// sendFds(socketPath, payload: Buffer, fds: number[] (1..253), receiveTimeoutMs) -> the
// connected socket (close-on-exec, blocking, reads time out after receiveTimeoutMs) or
// -errno: payload goes with fds attached (SCM_RIGHTS); the caller reads the answer.
static napi_value SendFds(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct sockaddr_un addr;
  void *payload;
  size_t len;
  uint32_t nfds = 0;
  int32_t timeout_ms = 0;
  if (argc < 4 || arg_path(env, argv[0], &addr) != 0 || napi_get_buffer_info(env, argv[1], &payload, &len) != napi_ok ||
      len == 0 || napi_get_array_length(env, argv[2], &nfds) != napi_ok || nfds < 1 || nfds > MAX_SENT_FDS ||
      napi_get_value_int32(env, argv[3], &timeout_ms) != napi_ok || timeout_ms < 0) {
    return num(env, -EINVAL);
  }
  int fds[MAX_SENT_FDS];
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value v;
    napi_get_element(env, argv[2], i, &v);
    if (napi_get_value_int32(env, v, &fds[i]) != napi_ok) return num(env, -EINVAL);
  }
  int sock = connect_unix(&addr);
  if (sock < 0) return num(env, sock);
  struct timeval timeout = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  int err = setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) == 0 ? 0 : -errno;
  if (err == 0) err = send_with_fds(sock, payload, len, fds, (int)nfds);
  if (err != 0) {
    close(sock);
    return num(env, err);
  }
  return num(env, sock);
}

// receiveFds(sock, maxBytes) -> [Buffer of what was pending (up to maxBytes), fds[]]
// without waiting (MSG_DONTWAIT), or -errno (-EAGAIN: nothing yet). Received fds are
// close-on-exec; any beyond MAX_SENT_FDS, or in a second control message, are closed.
static napi_value ReceiveFds(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t sock = -1;
  int32_t max_bytes = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &sock) != napi_ok || napi_get_value_int32(env, argv[1], &max_bytes) != napi_ok ||
      max_bytes <= 0) {
    return num(env, -EINVAL);
  }
  char *data = malloc((size_t)max_bytes);
  if (!data) return num(env, -ENOMEM);
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * MAX_SENT_FDS)];
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {data, (size_t)max_bytes};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  ssize_t got;
  do got = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got < 0) {
    int err = errno;
    free(data);
    return num(env, -err);
  }
  napi_value out, bytes, fds;
  napi_create_array_with_length(env, 2, &out);
  napi_create_buffer_copy(env, (size_t)got, data, NULL, &bytes);
  free(data);
  napi_create_array(env, &fds);
  uint32_t kept = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (kept < MAX_SENT_FDS) napi_set_element(env, fds, kept++, num(env, fd));
      else close(fd);
    }
  }
  napi_set_element(env, out, 0, bytes);
  napi_set_element(env, out, 1, fds);
  return out;
}

// takeControllingTerminal(fd) -> 0 or -errno: makes the tty at fd the controlling terminal
// of the calling session leader, so its line discipline signals (^C, SIGWINCH, hangup)
// reach the sentry, which sends them on inside the sandbox.
static napi_value TakeControllingTerminal(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return num(env, -EINVAL);
  return num(env, ioctl(fd, TIOCSCTTY, 0) == 0 ? 0 : -errno);
}

// windowSize(fd) -> [rows, cols] of the tty at fd as it is now (TIOCGWINSZ), or -errno.
// Node's tty streams keep the size they saw when they were made.
static napi_value WindowSize(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return num(env, -EINVAL);
  struct winsize size;
  if (ioctl(fd, TIOCGWINSZ, &size) != 0) return num(env, -errno);
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, num(env, size.ws_row));
  napi_set_element(env, out, 1, num(env, size.ws_col));
  return out;
}

// fork(2) without the atfork handlers the libraries in this (multithreaded) process
// registered: the children only make system calls until they exec or exit.
static pid_t raw_fork(void) {
  return (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
}

// In the relay's process, between fork and exec (async-signal-safe calls only): the slave
// as fd 0, its end of the socket as fd 1, /dev/null as fd 2, nothing else.
static void exec_relay(const char *path, int slave, int channel) {
  int s = fcntl(slave, F_DUPFD, 3);
  int c = fcntl(channel, F_DUPFD, 3);
  int null = open("/dev/null", O_WRONLY);
  if (s < 0 || c < 0 || null < 0 || dup2(s, 0) < 0 || dup2(c, 1) < 0 || dup2(null, 2) < 0) _exit(127);
  syscall(SYS_close_range, 3, ~0U, 0);
  char *argv[] = {(char *)path, NULL};
  char *envp[] = {NULL};
  execve(path, argv, envp);
  _exit(127);
}

// startTerminalRelay(relayPath, slaveFd, timeoutMs) -> the sentry's end of a stream socket
// to a new tssc-tty-relay (tty-relay.c) that controls the terminal at slaveFd, once it
// says so (close-on-exec), or -errno. The relay is orphaned at once (a double fork whose
// middle process is reaped here), so the sentry, which reaps every child as a tracee,
// never sees it: init or the nearest subreaper (the shim) reaps it.
static napi_value StartTerminalRelay(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[4096];
  int32_t slave = -1, timeout_ms = 0;
  if (argc < 3 || arg_string(env, argv[0], path, sizeof path) != 0 || napi_get_value_int32(env, argv[1], &slave) != napi_ok ||
      napi_get_value_int32(env, argv[2], &timeout_ms) != napi_ok || timeout_ms < 0) {
    return num(env, -EINVAL);
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return num(env, -errno);
  pid_t middle = raw_fork();
  if (middle < 0) {
    int err = errno;
    close(pair[0]);
    close(pair[1]);
    return num(env, -err);
  }
  if (middle == 0) {
    close(pair[0]);
    pid_t relay = raw_fork();
    if (relay == 0) exec_relay(path, slave, pair[1]);
    _exit(relay < 0 ? 1 : 0);
  }
  close(pair[1]);
  int status;
  while (waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  int err = 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) err = -EAGAIN;
  unsigned char said = 0;
  if (err == 0) {
    struct pollfd ready = {.fd = pair[0], .events = POLLIN};
    int polled;
    do polled = poll(&ready, 1, timeout_ms);
    while (polled < 0 && errno == EINTR);
    if (polled == 0) err = -ETIMEDOUT;
    else if (polled < 0) err = -errno;
    else {
      ssize_t n;
      do n = read(pair[0], &said, 1);
      while (n < 0 && errno == EINTR);
      // Nothing said: the relay could not be run.
      if (n != 1) err = -ENOEXEC;
      else if (said != 0) err = -(int)said;
    }
  }
  if (err != 0) {
    close(pair[0]);
    return num(env, err);
  }
  return num(env, pair[0]);
}

static napi_value Module(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openPty", NULL, OpenPty, NULL, NULL, NULL, napi_default, NULL},
      {"sendConsole", NULL, SendConsole, NULL, NULL, NULL, napi_default, NULL},
      {"sendFds", NULL, SendFds, NULL, NULL, NULL, napi_default, NULL},
      {"receiveFds", NULL, ReceiveFds, NULL, NULL, NULL, napi_default, NULL},
      {"takeControllingTerminal", NULL, TakeControllingTerminal, NULL, NULL, NULL, napi_default, NULL},
      {"windowSize", NULL, WindowSize, NULL, NULL, NULL, napi_default, NULL},
      {"startTerminalRelay", NULL, StartTerminalRelay, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Module)
