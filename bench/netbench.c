// Socket benchmarks, run natively and inside each sandbox: request/response latency (one
// byte each way, a forked peer echoing) and throughput (64 KiB writes, the peer reading
// everything), over an AF_UNIX socketpair and over TCP on 127.0.0.1.
//
// usage: netbench unix-rr|tcp-rr N   -> "MODE N NS" (ns per round trip)
//        netbench unix-stream|tcp-stream MIB -> "MODE MIB NS" (ns per 64 KiB write)
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

static void read_full(int fd, char *buf, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, buf, n);
    if (r <= 0) die("read");
    buf += r;
    n -= r;
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s unix-rr|tcp-rr|unix-stream|tcp-stream N\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1];
  long n = atol(argv[2]);
  int tcp = strncmp(mode, "tcp", 3) == 0;
  int stream = strstr(mode, "stream") != NULL;
  int fds[2];
  connect_pair(tcp, fds);
  static char buf[CHUNK];
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    if (stream) {
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
  long ops = stream ? n * (1048576 / CHUNK) : n;
  long long start = now_ns();
  for (long i = 0; i < ops; i++) {
    if (stream) {
      size_t done = 0;
      while (done < CHUNK) {
        ssize_t w = write(fds[0], buf + done, CHUNK - done);
        if (w <= 0) die("write");
        done += w;
      }
    } else {
      if (write(fds[0], "x", 1) != 1) die("write");
      read_full(fds[0], buf, 1);
    }
  }
  if (stream) shutdown(fds[0], SHUT_WR);
  int status;
  waitpid(child, &status, 0);
  long long elapsed = now_ns() - start;
  printf("%s %ld %.1f\n", mode, n, (double)elapsed / ops);
  return 0;
}
