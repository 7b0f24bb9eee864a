/** What a command writes to; tests pass a capturing Io, the binary passes the process's. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** True when stdout is a terminal (progress bars are drawn only then). */
  readonly isTty: boolean;
  /** Redraw a one-line status on stderr (TTY only); empty string clears it. */
  status(line: string): void;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  isTty: Boolean(process.stderr.isTTY),
  status: (line) => {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K' + line);
  },
};

export function captureIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    isTty: false,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    status: () => {},
  };
}
