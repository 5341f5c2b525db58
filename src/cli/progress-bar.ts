// A one-line progress bar on a terminal, redrawn at most ten times a second. Only shown
// for inputs big enough to be waited on; pipes and log files never see it. Each start()
// begins a new bar (an image archive is read first, then its layers are unpacked).
import type { ProgressSink } from '../oci/image/create-bundle.js';

const MIN_BYTES_FOR_BAR = 16 * 1024 * 1024;
const REDRAW_MS = 100;
const BAR_WIDTH = 30;

export function progressBar(terminal: NodeJS.WriteStream): ProgressSink | undefined {
  if (!terminal.isTTY) return undefined;
  let label = '';
  let total = 0;
  let done = 0;
  let lastDraw = 0;
  let shown = false;
  const draw = (): void => {
    const fraction = total === 0 ? 1 : Math.min(done / total, 1);
    const filled = Math.round(fraction * BAR_WIDTH);
    const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);
    terminal.write(
      `\r${label} [${'#'.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}] ${Math.floor(fraction * 100)}% ${mb(done)}/${mb(total)} MiB`,
    );
    shown = true;
  };
  return {
    start(what, totalBytes) {
      label = what;
      total = totalBytes;
      done = 0;
      lastDraw = 0;
    },
    advance(bytes) {
      done += bytes;
      const now = Date.now();
      if (total >= MIN_BYTES_FOR_BAR && now - lastDraw >= REDRAW_MS) {
        lastDraw = now;
        draw();
      }
    },
    finish() {
      if (!shown) return;
      draw();
      terminal.write('\n');
      shown = false;
    },
  };
}
