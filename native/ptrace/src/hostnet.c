// Host sockets the sentry opens for the sandbox's network modes (--network=sandbox|host):
// socket(2) in the sentry's own network namespace or, from a short-lived thread that
// entered it with setns, in the spec's (Node's main thread never leaves its own), the
// non-blocking socket calls on them, and their readiness reported on Node's event loop
// (a uv_poll per socket). Every fd is non-blocking and close-on-exec; none ever reaches a
// workload. No policy lives here: src/netstack/host decides what may be called.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

static napi_value num(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static int int_arg(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

/** A Buffer argument (or null/undefined: data NULL, length 0). */
static int buffer_arg(napi_env env, napi_value v, void **data, size_t *length) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  if (type == napi_null || type == napi_undefined) {
    *data = NULL;
    *length = 0;
    return 0;
  }
  bool is_buffer = false;
  napi_is_buffer(env, v, &is_buffer);
  if (!is_buffer) return -1;
  return napi_get_buffer_info(env, v, data, length) == napi_ok ? 0 : -1;
}

#define ARGS(n)                                             \
  size_t argc = n;                                          \
  napi_value argv[n];                                       \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);     \
  if (argc < n) return num(env, -EINVAL)

// ---- namespaces -------------------------------------------------------------------------

struct in_namespace {
  int ns_fd;
  int domain, type, protocol;
  int result;
};

static void *socket_in_namespace(void *arg) {
  struct in_namespace *job = arg;
  // This thread alone moves; the process's other threads stay where they are.
  if (setns(job->ns_fd, CLONE_NEWNET) != 0) {
    job->result = -errno;
    return NULL;
  }
  int fd = socket(job->domain, job->type, job->protocol);
  job->result = fd >= 0 ? fd : -errno;
  return NULL;
}

/** socket(2) from a new thread that entered ns_fd's network namespace first. */
static int socket_in(int ns_fd, int domain, int type, int protocol) {
  struct in_namespace job = {ns_fd, domain, type, protocol, -EINVAL};
  pthread_t thread;
  int err = pthread_create(&thread, NULL, socket_in_namespace, &job);
  if (err != 0) return -err;
  pthread_join(thread, NULL);
  return job.result;
}

// openNamespace(path) -> fd (O_RDONLY, close-on-exec) or -errno.
static napi_value OpenNamespace(napi_env env, napi_callback_info info) {
  ARGS(1);
  char path[4096];
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || len + 1 >= sizeof path) return num(env, -ENAMETOOLONG);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  return num(env, fd >= 0 ? fd : -errno);
}

// socket(domain, type, protocol, nsFd) -> fd or -errno; nsFd -1 is the sentry's own
// namespace. SOCK_NONBLOCK and SOCK_CLOEXEC are always added.
static napi_value Socket(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t domain, type, protocol, ns_fd;
  if (int_arg(env, argv[0], &domain) || int_arg(env, argv[1], &type) || int_arg(env, argv[2], &protocol) || int_arg(env, argv[3], &ns_fd)) return num(env, -EINVAL);
  type |= SOCK_NONBLOCK | SOCK_CLOEXEC;
  if (ns_fd >= 0) return num(env, socket_in(ns_fd, domain, type, protocol));
  int fd = socket(domain, type, protocol);
  return num(env, fd >= 0 ? fd : -errno);
}

// ---- the socket calls -------------------------------------------------------------------

/** (fd, sockaddr) -> 0 or -errno: bind(2), connect(2). */
static napi_value address_call(napi_env env, napi_callback_info info, int (*call)(int, const struct sockaddr *, socklen_t)) {
  ARGS(2);
  int32_t fd;
  void *addr;
  size_t len;
  if (int_arg(env, argv[0], &fd) || buffer_arg(env, argv[1], &addr, &len)) return num(env, -EINVAL);
  return num(env, call(fd, addr, len) == 0 ? 0 : -errno);
}

// bind(fd, sockaddr) and connect(fd, sockaddr) -> 0 or -errno (EINPROGRESS for a stream).
static napi_value Bind(napi_env env, napi_callback_info info) {
  return address_call(env, info, bind);
}

static napi_value Connect(napi_env env, napi_callback_info info) {
  return address_call(env, info, connect);
}

/** (fd, n) -> 0 or -errno: listen(2), shutdown(2). */
static napi_value int_call(napi_env env, napi_callback_info info, int (*call)(int, int)) {
  ARGS(2);
  int32_t fd, n;
  if (int_arg(env, argv[0], &fd) || int_arg(env, argv[1], &n)) return num(env, -EINVAL);
  return num(env, call(fd, n) == 0 ? 0 : -errno);
}

static napi_value Listen(napi_env env, napi_callback_info info) {
  return int_call(env, info, listen);
}

// accept(fd, addressOut) -> [fd, addressLength] or -errno; the new fd is non-blocking
// and close-on-exec.
static napi_value Accept(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  void *addr;
  size_t room;
  if (int_arg(env, argv[0], &fd) || buffer_arg(env, argv[1], &addr, &room)) return num(env, -EINVAL);
  socklen_t len = room;
  int conn = accept4(fd, addr, addr ? &len : NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (conn < 0) return num(env, -errno);
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, num(env, conn));
  napi_set_element(env, out, 1, num(env, addr ? len : 0));
  return out;
}

// send(fd, data, flags, sockaddr|null) -> bytes or -errno. Never waits, never raises SIGPIPE.
static napi_value Send(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, flags;
  void *data, *addr;
  size_t len, addr_len;
  if (int_arg(env, argv[0], &fd) || buffer_arg(env, argv[1], &data, &len) || int_arg(env, argv[2], &flags) || buffer_arg(env, argv[3], &addr, &addr_len)) return num(env, -EINVAL);
  ssize_t n = sendto(fd, data, len, flags | MSG_DONTWAIT | MSG_NOSIGNAL, addr, addr_len);
  return num(env, n >= 0 ? (double)n : -errno);
}

// recv(fd, into, flags, addressOut|null) -> [bytes, msg_flags, addressLength] or -errno.
// bytes is the datagram's whole length under MSG_TRUNC, as recv(2) returns it.
static napi_value Recv(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, flags;
  void *data, *addr;
  size_t len, addr_room;
  if (int_arg(env, argv[0], &fd) || buffer_arg(env, argv[1], &data, &len) || int_arg(env, argv[2], &flags) || buffer_arg(env, argv[3], &addr, &addr_room)) return num(env, -EINVAL);
  struct iovec iov = {data, len};
  struct msghdr msg = {.msg_name = addr, .msg_namelen = addr_room, .msg_iov = &iov, .msg_iovlen = 1};
  ssize_t n = recvmsg(fd, &msg, flags | MSG_DONTWAIT);
  if (n < 0) return num(env, -errno);
  napi_value out;
  napi_create_array_with_length(env, 3, &out);
  napi_set_element(env, out, 0, num(env, n));
  napi_set_element(env, out, 1, num(env, msg.msg_flags));
  napi_set_element(env, out, 2, num(env, addr ? msg.msg_namelen : 0));
  return out;
}

static napi_value Shutdown(napi_env env, napi_callback_info info) {
  return int_call(env, info, shutdown);
}

// getsockopt(fd, level, name, out) -> the length written, or -errno.
static napi_value GetSockOpt(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, level, name;
  void *out;
  size_t room;
  if (int_arg(env, argv[0], &fd) || int_arg(env, argv[1], &level) || int_arg(env, argv[2], &name) || buffer_arg(env, argv[3], &out, &room)) return num(env, -EINVAL);
  socklen_t len = room;
  return num(env, getsockopt(fd, level, name, out, &len) == 0 ? (double)len : -errno);
}

static napi_value SetSockOpt(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, level, name;
  void *value;
  size_t len;
  if (int_arg(env, argv[0], &fd) || int_arg(env, argv[1], &level) || int_arg(env, argv[2], &name) || buffer_arg(env, argv[3], &value, &len)) return num(env, -EINVAL);
  return num(env, setsockopt(fd, level, name, value, len) == 0 ? 0 : -errno);
}

/** (fd, out) -> the address's length, or -errno: getsockname(2), getpeername(2). */
static napi_value name_call(napi_env env, napi_callback_info info, int (*call)(int, struct sockaddr *, socklen_t *)) {
  ARGS(2);
  int32_t fd;
  void *out;
  size_t room;
  if (int_arg(env, argv[0], &fd) || buffer_arg(env, argv[1], &out, &room)) return num(env, -EINVAL);
  socklen_t len = room;
  return num(env, call(fd, out, &len) == 0 ? (double)len : -errno);
}

static napi_value SockName(napi_env env, napi_callback_info info) {
  return name_call(env, info, getsockname);
}

static napi_value PeerName(napi_env env, napi_callback_info info) {
  return name_call(env, info, getpeername);
}

// queued(fd, outgoing) -> bytes unread (SIOCINQ) or unsent (SIOCOUTQ), or -errno.
static napi_value Queued(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd, outgoing;
  if (int_arg(env, argv[0], &fd) || int_arg(env, argv[1], &outgoing)) return num(env, -EINVAL);
  int value = 0;
  return num(env, ioctl(fd, outgoing ? SIOCOUTQ : SIOCINQ, &value) == 0 ? value : -errno);
}

// poll(fd, events) -> the events ready now (poll(2) with no wait).
static napi_value Poll(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd, events;
  if (int_arg(env, argv[0], &fd) || int_arg(env, argv[1], &events)) return num(env, -EINVAL);
  struct pollfd p = {fd, (short)events, 0};
  int n = poll(&p, 1, 0);
  return num(env, n < 0 ? -errno : p.revents);
}

// ---- readiness on Node's loop -------------------------------------------------------------

typedef struct watcher {
  uv_poll_t handle;
  int fd;
  struct watcher *next;
} watcher;

static napi_env watch_env;
static napi_ref watch_callback;
static napi_async_context watch_context;
static watcher *watchers;

static watcher *find_watcher(int fd) {
  for (watcher *w = watchers; w; w = w->next)
    if (w->fd == fd) return w;
  return NULL;
}

static void on_ready(uv_poll_t *handle, int status, int events) {
  watcher *w = handle->data;
  napi_handle_scope scope;
  napi_open_handle_scope(watch_env, &scope);
  napi_value callback, receiver, args[2];
  napi_get_reference_value(watch_env, watch_callback, &callback);
  napi_get_global(watch_env, &receiver);
  args[0] = num(watch_env, w->fd);
  args[1] = num(watch_env, status < 0 ? status : events);
  // The callback never throws (src/netstack/host/host-fd.ts catches everything).
  napi_make_callback(watch_env, watch_context, receiver, callback, 2, args, NULL);
  napi_close_handle_scope(watch_env, scope);
}

// onReady(callback(fd, uvEvents)): where every watch reports (status < 0: an error).
static napi_value OnReady(napi_env env, napi_callback_info info) {
  ARGS(1);
  if (watch_callback) napi_delete_reference(env, watch_callback);
  napi_create_reference(env, argv[0], 1, &watch_callback);
  if (!watch_context) {
    napi_value resource, name;
    napi_create_object(env, &resource);
    napi_create_string_utf8(env, "tssc:hostnet", NAPI_AUTO_LENGTH, &name);
    napi_async_init(env, resource, name, &watch_context);
  }
  watch_env = env;
  return num(env, 0);
}

// watch(fd, uvEvents) -> 0 or -errno: report these events (UV_READABLE, UV_WRITABLE,
// UV_DISCONNECT) while they hold; 0 stops reporting. Level-triggered, as uv_poll is.
static napi_value Watch(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd, events;
  if (int_arg(env, argv[0], &fd) || int_arg(env, argv[1], &events)) return num(env, -EINVAL);
  watcher *w = find_watcher(fd);
  if (events == 0) return num(env, w ? uv_poll_stop(&w->handle) : 0);
  if (!w) {
    uv_loop_t *loop;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) return num(env, -EINVAL);
    w = calloc(1, sizeof *w);
    if (!w) return num(env, -ENOMEM);
    int err = uv_poll_init_socket(loop, &w->handle, fd);
    if (err != 0) {
      free(w);
      return num(env, err);
    }
    // A watch never keeps Node running: the sentry's own work does while tasks live.
    uv_unref((uv_handle_t *)&w->handle);
    w->fd = fd;
    w->handle.data = w;
    w->next = watchers;
    watchers = w;
  }
  return num(env, uv_poll_start(&w->handle, events, on_ready));
}

static void free_watcher(uv_handle_t *handle) {
  free(handle->data);
}

// close(fd) -> 0 or -errno: its watch ends first (libuv must forget the fd before it closes).
static napi_value Close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (int_arg(env, argv[0], &fd)) return num(env, -EINVAL);
  for (watcher **at = &watchers; *at; at = &(*at)->next) {
    if ((*at)->fd != fd) continue;
    watcher *w = *at;
    *at = w->next;
    uv_close((uv_handle_t *)&w->handle, free_watcher);
    break;
  }
  return num(env, close(fd) == 0 ? 0 : -errno);
}

// ---- interfaces --------------------------------------------------------------------------

struct interface_job {
  int ns_fd;
  struct ifaddrs *list;
  int result;
};

static void *list_interfaces(void *arg) {
  struct interface_job *job = arg;
  if (job->ns_fd >= 0 && setns(job->ns_fd, CLONE_NEWNET) != 0) {
    job->result = -errno;
    return NULL;
  }
  job->result = getifaddrs(&job->list) == 0 ? 0 : -errno;
  return NULL;
}

static napi_value address_bytes(napi_env env, const struct sockaddr *sa) {
  napi_value out;
  if (!sa) {
    napi_get_null(env, &out);
    return out;
  }
  const void *bytes = NULL;
  size_t len = 0;
  if (sa->sa_family == AF_INET) {
    bytes = &((const struct sockaddr_in *)sa)->sin_addr;
    len = 4;
  } else if (sa->sa_family == AF_INET6) {
    bytes = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    len = 16;
  } else if (sa->sa_family == AF_PACKET) {
    // struct sockaddr_ll: sll_halen at 11, sll_addr at 12.
    const unsigned char *ll = (const unsigned char *)sa;
    bytes = ll + 12;
    len = ll[11] > 8 ? 8 : ll[11];
  }
  if (!bytes) {
    napi_get_null(env, &out);
    return out;
  }
  void *data;
  napi_create_buffer_copy(env, len, bytes, &data, &out);
  return out;
}

// interfaces(nsFd) -> [[name, index, flags, family, address, netmask], ...] (getifaddrs in
// the namespace; AF_PACKET entries carry the hardware address) or -errno.
static napi_value Interfaces(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t ns_fd;
  if (int_arg(env, argv[0], &ns_fd)) return num(env, -EINVAL);
  struct interface_job job = {ns_fd, NULL, -EINVAL};
  pthread_t thread;
  int err = pthread_create(&thread, NULL, list_interfaces, &job);
  if (err != 0) return num(env, -err);
  pthread_join(thread, NULL);
  if (job.result != 0) return num(env, job.result);
  napi_value out;
  napi_create_array(env, &out);
  uint32_t i = 0;
  for (struct ifaddrs *a = job.list; a; a = a->ifa_next) {
    if (!a->ifa_addr) continue;
    napi_value row, name;
    napi_create_array_with_length(env, 6, &row);
    napi_create_string_latin1(env, a->ifa_name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, row, 0, name);
    napi_set_element(env, row, 1, num(env, if_nametoindex(a->ifa_name)));
    napi_set_element(env, row, 2, num(env, a->ifa_flags));
    napi_set_element(env, row, 3, num(env, a->ifa_addr->sa_family));
    napi_set_element(env, row, 4, address_bytes(env, a->ifa_addr));
    napi_set_element(env, row, 5, address_bytes(env, a->ifa_netmask));
    napi_set_element(env, out, i++, row);
  }
  freeifaddrs(job.list);
  return out;
}

static napi_value Module(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openNamespace", NULL, OpenNamespace, NULL, NULL, NULL, napi_default, NULL},
      {"socket", NULL, Socket, NULL, NULL, NULL, napi_default, NULL},
      {"bind", NULL, Bind, NULL, NULL, NULL, napi_default, NULL},
      {"connect", NULL, Connect, NULL, NULL, NULL, napi_default, NULL},
      {"listen", NULL, Listen, NULL, NULL, NULL, napi_default, NULL},
      {"accept", NULL, Accept, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, Send, NULL, NULL, NULL, napi_default, NULL},
      {"recv", NULL, Recv, NULL, NULL, NULL, napi_default, NULL},
      {"shutdown", NULL, Shutdown, NULL, NULL, NULL, napi_default, NULL},
      {"getSockOpt", NULL, GetSockOpt, NULL, NULL, NULL, napi_default, NULL},
      {"setSockOpt", NULL, SetSockOpt, NULL, NULL, NULL, napi_default, NULL},
      {"sockName", NULL, SockName, NULL, NULL, NULL, napi_default, NULL},
      {"peerName", NULL, PeerName, NULL, NULL, NULL, napi_default, NULL},
      {"queued", NULL, Queued, NULL, NULL, NULL, napi_default, NULL},
      {"poll", NULL, Poll, NULL, NULL, NULL, napi_default, NULL},
      {"onReady", NULL, OnReady, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, Watch, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
      {"interfaces", NULL, Interfaces, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Module)
