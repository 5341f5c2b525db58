// Socket benchmarks, run natively and inside each sandbox: request/response latency (one
// byte each way, a forked peer echoing) and throughput (64 KiB writes, the peer reading
// everything), over an AF_UNIX socketpair and over TCP on 127.0.0.1; the same over UDP on
// 127.0.0.1, where throughput is 16 KiB datagrams the peer acknowledges every 8 (UDP has no
// flow control: a sender running ahead would only measure drops); or, with HOST, to a
// server outside (through a sandbox's bridge): an echo server on HOST:7 for round trips, and
// one on HOST:9 that reads until EOF and then closes, for throughput (timed to that close).
//
// Only the second half of the operations is timed: the first half warms up what a sandbox
// compiles or caches on its hot path (tssc's JIT tiers a call's path up over its first few
// thousand traps), so the number is the steady state; bench/run.mjs's rows hold start-up.
//
// usage: netbench unix-rr|tcp-rr|udp-rr N   -> "MODE N NS" (ns per round trip)
//        netbench unix-stream|tcp-stream|udp-stream MIB -> "MODE MIB NS" (ns per 64 KiB moved)
//        netbench out-rr N HOST, netbench out-stream MIB HOST (IPv4 HOST) -> the same
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define DATAGRAM 16384
#define WINDOW 8

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

/** Two connected stream sockets: a socketpair, or a TCP connection over 127.0.0.1. */
static void connect_pair(int tcp, int fds[2]) {
  if (!tcp) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds)) die("socketpair");
    return;
  }
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {AF_INET, 0, {htonl(INADDR_LOOPBACK)}, {0}};
  socklen_t al = sizeof a;
  if (bind(l, (void *)&a, sizeof a) || getsockname(l, (void *)&a, &al) || listen(l, 1)) die("listen");
  fds[0] = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fds[0], (void *)&a, sizeof a)) die("connect");
  fds[1] = accept(l, NULL, NULL);
  if (fds[1] < 0) die("accept");
  close(l);
  int one = 1;
  setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/** Two UDP sockets on 127.0.0.1, each connected to the other. */
static void udp_pair(int fds[2]) {
  struct sockaddr_in a[2];
  for (int i = 0; i < 2; i++) {
    socklen_t al = sizeof a[i];
    a[i] = (struct sockaddr_in){AF_INET, 0, {htonl(INADDR_LOOPBACK)}, {0}};
    fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
    if (fds[i] < 0 || bind(fds[i], (void *)&a[i], sizeof a[i]) || getsockname(fds[i], (void *)&a[i], &al)) die("udp bind");
  }
  if (connect(fds[0], (void *)&a[1], sizeof a[1]) || connect(fds[1], (void *)&a[0], sizeof a[0])) die("udp connect");
  // A lost datagram ends the run with an error instead of a wait forever.
  struct timeval t = {10, 0};
  for (int i = 0; i < 2; i++) setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
}

/** A TCP connection to host:port outside. */
static int connect_out(const char *host, int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {AF_INET, htons(port), {0}, {0}};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die("address");
  if (connect(s, (void *)&a, sizeof a)) die("connect");
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return s;
}

static void read_full(int fd, char *buf, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, buf, n);
    if (r <= 0) die("read");
    buf += r;
    n -= r;
  }
}

/** Round trips of one byte, or MiB in 64 KiB writes, on fd; ns per op. */
static double exercise(int fd, int stream, long n) {
  static char buf[CHUNK];
  long ops = stream ? n * (1048576 / CHUNK) : n;
  long long start = 0;
  for (long i = 0; i < ops; i++) {
    if (i == ops / 2) start = now_ns();
    if (stream) {
      size_t done = 0;
      while (done < CHUNK) {
        ssize_t w = write(fd, buf + done, CHUNK - done);
        if (w <= 0) die("write");
        done += w;
      }
    } else {
      if (write(fd, "x", 1) != 1) die("write");
      read_full(fd, buf, 1);
    }
  }
  if (stream) {
    shutdown(fd, SHUT_WR);
    // Until the peer has read everything and closed (a local peer exits, an outside one closes).
    while (read(fd, buf, sizeof buf) > 0) {
    }
  }
  return (double)(now_ns() - start) / (ops - ops / 2);
}

/** MIB in datagrams of DATAGRAM bytes, waiting for the peer's acknowledgement of every WINDOW; ns per 64 KiB. */
static double udp_stream(int fd, long mib) {
  static char buf[DATAGRAM];
  long windows = mib * (1048576 / DATAGRAM) / WINDOW;
  long long start = 0;
  for (long i = 0; i < windows; i++) {
    if (i == windows / 2) start = now_ns();
    for (int j = 0; j < WINDOW; j++)
      if (write(fd, buf, DATAGRAM) != DATAGRAM) die("udp write");
    if (read(fd, buf, 1) != 1) die("udp ack");
  }
  return (double)(now_ns() - start) / ((windows - windows / 2) * WINDOW * DATAGRAM / CHUNK);
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4 || (argc == 4) != (strncmp(argv[1], "out", 3) == 0)) {
    fprintf(stderr, "usage: %s unix-rr|tcp-rr|udp-rr|unix-stream|tcp-stream|udp-stream N, or out-rr|out-stream N HOST\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1];
  long n = atol(argv[2]);
  int stream = strstr(mode, "stream") != NULL;
  if (argc == 4) {
    printf("%s %ld %.1f\n", mode, n, exercise(connect_out(argv[3], stream ? 9 : 7), stream, n));
    return 0;
  }
  int fds[2];
  int udp = strncmp(mode, "udp", 3) == 0;
  if (udp) udp_pair(fds);
  else connect_pair(strncmp(mode, "tcp", 3) == 0, fds);
  pid_t child = fork();
  if (child == 0) {
    static char buf[CHUNK];
    close(fds[0]);
    if (udp && stream) {
      for (long i = 0; i < n * (1048576 / DATAGRAM) / WINDOW; i++) {
        for (int j = 0; j < WINDOW; j++)
          if (read(fds[1], buf, sizeof buf) != DATAGRAM) die("udp read");
        if (write(fds[1], "a", 1) != 1) die("udp ack");
      }
    } else if (stream) {
      ssize_t r;
      while ((r = read(fds[1], buf, sizeof buf)) > 0) {
      }
    } else {
      for (long i = 0; i < n; i++) {
        read_full(fds[1], buf, 1);
        if (write(fds[1], buf, 1) != 1) die("write");
      }
    }
    _exit(0);
  }
  close(fds[1]);
  double ns = udp && stream ? udp_stream(fds[0], n) : exercise(fds[0], stream, n);
  int status;
  waitpid(child, &status, 0);
  printf("%s %ld %.1f\n", mode, n, ns);
  return 0;
}
