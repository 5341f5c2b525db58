// The OCI create/start split inside the sentry: `create` must return once the container's
// init exists but has run no instruction of its own, and `start` lets it go. The init is
// held where the sentry takes over anyway: at the stub's first trap, before the program is
// loaded (ptrace), or before the module's worker starts (wasm).

export class StartGate {
  private opened = false;
  private resume: (() => void) | undefined;
  private readonly reachedPromise: Promise<void>;
  private markReached!: () => void;

  constructor() {
    this.reachedPromise = new Promise((resolve) => {
      this.markReached = resolve;
    });
  }

  /** Resolves once the init is held at the gate (or went through an open one). */
  get reached(): Promise<void> {
    return this.reachedPromise;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /**
   * The init arrives: true when it must wait (resume runs when the gate opens), false when
   * the gate is already open and it goes on at once.
   */
  hold(resume: () => void): boolean {
    this.markReached();
    if (this.opened) return false;
    this.resume = resume;
    return true;
  }

  /** Lets the init go (at once if it is already waiting); later arrivals pass through. */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    const resume = this.resume;
    this.resume = undefined;
    resume?.();
  }
}
