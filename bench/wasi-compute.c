// Compute-bound: integer hashing, a prime sieve and floating point, no system calls
// beyond printing the result.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  uint64_t x = 88172645463325252ULL, acc = 0;
  for (int i = 0; i < 60000000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    acc += x % 1000003;
  }
  const int n = 8000000;
  char *composite = calloc(n + 1, 1);
  int primes = 0;
  for (int i = 2; i <= n; i++) {
    if (composite[i]) continue;
    primes++;
    for (long long j = (long long)i * i; j <= n; j += i) composite[j] = 1;
  }
  double sum = 0;
  for (int i = 1; i < 20000000; i++) sum += 1.0 / ((double)i * i);
  printf("%llu %d %.12f\n", (unsigned long long)acc, primes, sum);
  free(composite);
  return 0;
}
