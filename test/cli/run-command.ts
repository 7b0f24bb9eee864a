/** The CLI tests' one way to run `kafka-oracle COMMAND ARGS...` in-process, with its output captured. */
import { captureIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';

export interface CommandOutcome {
  readonly status: number;
  readonly stdout: string[];
  readonly stderr: string[];
}

export function commandRunner(command: string): (...args: string[]) => Promise<CommandOutcome> {
  return async (...args) => {
    const io = captureIo();
    const status = await main([command, ...args], io);
    return { status, stdout: io.stdout, stderr: io.stderr };
  };
}
