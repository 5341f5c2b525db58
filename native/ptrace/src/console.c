// Terminal primitives for the OCI lifecycle (process.terminal): a new pseudo-terminal, its
// master sent over a console socket with SCM_RIGHTS as runc sends it, the slave made the
// sentry's controlling terminal, and a terminal's current size. Node has none of these;
// no policy lives here.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
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

// sendConsole(socketPath, fd, payload) -> 0 or -errno: connects to the unix stream socket
// at socketPath and sends fd with one SCM_RIGHTS message whose data is payload.
static napi_value SendConsole(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  char payload[256];
  int32_t fd = -1;
  if (argc < 3 || arg_string(env, argv[0], addr.sun_path, sizeof addr.sun_path) != 0 ||
      napi_get_value_int32(env, argv[1], &fd) != napi_ok || arg_string(env, argv[2], payload, sizeof payload) != 0) {
    return num(env, -EINVAL);
  }
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return num(env, -errno);
  if (connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) {
    int err = errno;
    close(sock);
    return num(env, -err);
  }
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {payload, strlen(payload)};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t sent;
  do sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  int err = sent < 0 ? errno : 0;
  close(sock);
  return num(env, -err);
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

static napi_value Module(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openPty", NULL, OpenPty, NULL, NULL, NULL, napi_default, NULL},
      {"sendConsole", NULL, SendConsole, NULL, NULL, NULL, napi_default, NULL},
      {"takeControllingTerminal", NULL, TakeControllingTerminal, NULL, NULL, NULL, napi_default, NULL},
      {"windowSize", NULL, WindowSize, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Module)
