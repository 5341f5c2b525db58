/*
 * The program every sandboxed execve really runs: it only gives the task a fresh address
 * space. The sentry takes over at the first int3, injects its mmaps through the syscall
 * instruction (the second int3 stops the task after each one), maps the workload's ELF
 * and jumps to it. Linked far above where programs load (see binding.gyp).
 */
  .globl _start
  .text
_start:
  int3
  .globl stub_syscall
stub_syscall:
  syscall
  int3
  /* Never reached: the sentry moves rip away; if it did not, end the task. */
  mov $231, %eax
  mov $127, %edi
  syscall
  .section .note.GNU-stack,"",@progbits
