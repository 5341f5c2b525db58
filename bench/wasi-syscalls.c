// Syscall-bound: small file operations in a loop (open, write, pread, fstat, close, stat,
// a directory listing), the work a build tool or a test runner does.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  char buf[64];
  long total = 0;
  for (int i = 0; i < 5000; i++) {
    int fd = open("work/bench.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    total += write(fd, "0123456789abcdef", 16);
    total += pread(fd, buf, sizeof buf, 0);
    struct stat st;
    fstat(fd, &st);
    total += st.st_size;
    close(fd);
    stat("work/bench.txt", &st);
    if (i % 50 == 0) {
      DIR *d = opendir("work");
      while (readdir(d)) total++;
      closedir(d);
    }
  }
  printf("%ld\n", total);
  return 0;
}
