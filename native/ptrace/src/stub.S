/*
 * The program every sandboxed execve really runs: it only gives the task a fresh address
 * space, and in it the exec page, one page of the sandbox's sealed with mseal (nothing
 * can unmap, move, remap, reprotect or discard it, and it is private: no other process
 * shares it) that holds what the stub's next execveat reads: argv ("tssc-stub", as host
 * tools show it), envp and the empty path, an int3 for a failed execveat to return to,
 * and a syscall instruction for the calls the sentry makes in the task. Then the sentry takes over at the
 * int3 at stub_trap, injects its calls through stub_syscall (the int3 after it stops the
 * task after each one), maps the workload's ELF and jumps to it.
 * Linked far above where programs load (binding.gyp). src/sentry/loader/stub.ts mirrors
 * the offsets of stub_syscall and stub_trap and the layout of the exec page.
 * At stub_trap: r12 = the exec page (or -errno of its mmap), r13 = 0 when it is sealed.
 */
  .globl _start
  .text
_start:
  jmp setup

  .org 8, 0xcc
  .globl stub_syscall
stub_syscall:
  syscall
  int3

  .org 16, 0xcc
stub_trap:
  int3
  /* Never reached: the sentry moves rip away; if it did not, end the task. */
  mov $231, %eax
  mov $127, %edi
  syscall

setup:
  /* mmap(the page after this code's, 4096, PROT_READ | PROT_WRITE,
          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) */
  lea _start(%rip), %rdi
  and $-4096, %rdi
  add $4096, %rdi
  mov $4096, %esi
  mov $3, %edx
  mov $0x100022, %r10d
  mov $-1, %r8
  xor %r9d, %r9d
  mov $9, %eax
  syscall
  mov %rax, %r12
  mov $-1, %r13
  cmp $-4095, %rax
  jae stub_trap
  /* argv = { "tssc-stub" at +40, NULL at +8 }, envp = { NULL at +8 }, the empty path at
     +24, an int3 at +32 */
  lea 40(%r12), %rax
  mov %rax, (%r12)
  movb $0xcc, 32(%r12)
  movabs $0x7574732d63737374, %rax
  mov %rax, 40(%r12)
  movb $0x62, 48(%r12)
  /* syscall; int3 at +56: the sentry's calls in the task's later programs run through it */
  movl $0xcc050f, 56(%r12)
  /* mprotect(page, 4096, PROT_READ | PROT_EXEC) */
  mov %r12, %rdi
  mov $4096, %esi
  mov $5, %edx
  mov $10, %eax
  syscall
  test %rax, %rax
  jnz stub_trap
  /* mseal(page, 4096, 0) */
  mov %r12, %rdi
  mov $4096, %esi
  xor %edx, %edx
  mov $462, %eax
  syscall
  mov %rax, %r13
  jmp stub_trap
  .section .note.GNU-stack,"",@progbits
