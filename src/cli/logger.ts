// The runtime log: `--log FILE` (else stderr) in runc's two formats. containerd's shim sets
// `--log-format json` and, when a command fails, reads the last "error" entry of the file to
// tell its user why, so failures are logged there too.
import { appendFileSync } from 'node:fs';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LoggerOptions {
  file?: string;
  format: LogFormat;
  debug: boolean;
  stderr: (text: string) => void;
}

export function createLogger(options: LoggerOptions): Logger {
  const write = (level: LogLevel, message: string): void => {
    if (level === 'debug' && !options.debug) return;
    const time = new Date().toISOString();
    const line =
      options.format === 'json'
        ? JSON.stringify({ level, msg: message, time }) + '\n'
        : `time="${time}" level=${level} msg=${JSON.stringify(message)}\n`;
    if (options.file === undefined) options.stderr(line);
    else appendFileSync(options.file, line);
  };
  return {
    debug: (message) => write('debug', message),
    info: (message) => write('info', message),
    warn: (message) => write('warning', message),
    error: (message) => write('error', message),
  };
}
