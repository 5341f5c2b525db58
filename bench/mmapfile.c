// The file-backed mmap that ../shared/bench/sysbench.c names but does not implement, in its
// output format: per iteration open a file, map one page of it privately, touch the page,
// unmap and close (what a dynamic loader does for each library segment). With "shared":
// the file (made one page long) is opened read-write and mapped MAP_SHARED, and the page
// written (what a program sharing a file's pages does).
// usage: mmapfile N [path [shared]]  -> prints "mmapfile N ns_per_op"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: mmapfile N [path]\n");
    return 2;
  }
  long n = atol(argv[1]);
  const char *path = argc > 2 ? argv[2] : "/bin/sh";
  int shared = argc > 3 && strcmp(argv[3], "shared") == 0;
  if (shared) {
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ftruncate(fd, 4096) != 0) {
      perror("create");
      return 1;
    }
    close(fd);
  }
  volatile char sink = 0;
  double t0 = now();
  for (long i = 0; i < n; i++) {
    int fd = open(path, shared ? O_RDWR : O_RDONLY);
    if (fd < 0) {
      perror("open");
      return 1;
    }
    char *page = mmap(NULL, 4096, shared ? PROT_READ | PROT_WRITE : PROT_READ, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
    if (page == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    sink += page[0];
    if (shared) page[1] = sink;
    munmap(page, 4096);
    close(fd);
  }
  printf("mmapfile %ld %.1f\n", n, (now() - t0) / n);
  return 0;
}
