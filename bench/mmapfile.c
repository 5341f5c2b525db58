// The file-backed mmap that ../shared/bench/sysbench.c names but does not implement, in its
// output format: per iteration open a file, map one page of it privately, touch the page,
// unmap and close (what a dynamic loader does for each library segment).
// usage: mmapfile N [path]  -> prints "mmapfile N ns_per_op"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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
  volatile char sink = 0;
  double t0 = now();
  for (long i = 0; i < n; i++) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
      perror("open");
      return 1;
    }
    char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (page == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    sink += page[0];
    munmap(page, 4096);
    close(fd);
  }
  printf("mmapfile %ld %.1f\n", n, (now() - t0) / n);
  return 0;
}
