/**
 * `kafka-oracle <command> [options]`. Each command lives in its own module exporting
 * `run(args, io) => exit status`; they are loaded lazily so that `--help` is instant.
 *
 * Exit status: 0 success / valid, 1 a checked property was violated, 2 bad input or usage
 * (one line on stderr naming what and where), 3 undecided (the oracle's `unknown`).
 */
import { InputError } from '../core/assert.ts';
import { type Io, processIo } from './io.ts';

export interface Command {
  run(args: string[], io: Io): Promise<number>;
}

interface Entry {
  readonly summary: string;
  load(): Promise<Command>;
}

/** The command table; add a line here for a new command module. */
const commands: Record<string, Entry> = {
  // 'name': { summary: 'one line', load: async () => (await import('./name.ts')).command },
  check: { summary: 'the main job: the guarantee x configuration matrix on the simulated cluster, shrunk counterexamples', load: async () => (await import('./check.ts')).command },
  replay: { summary: 'replay one counterexample of check step by step (--seed S --path P --config "..."), or of explore (--trace FILE [--in explorer|sim])', load: async () => (await import('./replay.ts')).command },
  diagram: { summary: 'write Mermaid state diagrams generated from the replica, controller, producer, broker machines', load: async () => (await import('./diagram.ts')).command },
  'dump-log': { summary: 'print the record batches of a segment file (like kafka-dump-log)', load: async () => (await import('./dump-log.ts')).command },
  recover: { summary: 'recover a partition directory as Kafka does after an unclean shutdown; print what was kept and cut', load: async () => (await import('./recover.ts')).command },
  'storage-check': { summary: 'the storage crash campaign: crash, recover, check the prefix refinement over many seeds', load: async () => (await import('./storage-check.ts')).command },
  verify: { summary: 'check a client history for Jepsen\'s Kafka anomalies (the oracle)', load: async () => (await import('./verify.ts')).command },
  explore: { summary: 'exhaustive bounded model checking of the machines (BFS over every interleaving, shortest counterexample)', load: async () => (await import('./explore.ts')).command },
};

export function usage(): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'usage: kafka-oracle <command> [options]',
    '',
    'commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${commands[n]?.summary ?? ''}`),
    '',
    'Run `kafka-oracle <command> --help` for a command\'s options.',
  ].join('\n');
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const entry = commands[name];
  if (entry === undefined) {
    io.err(`kafka-oracle: unknown command '${name}' (try --help)`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (error) {
    return reportError(name, error, io);
  }
}

/** Bad input gets one line and exit 2; a bug gets one line and exit 70 (stack with DEBUG). */
export function reportError(name: string, error: unknown, io: Io): number {
  if (error instanceof InputError) {
    io.err(`kafka-oracle ${name}: ${error.message}`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.err(`kafka-oracle ${name}: internal error: ${message.split('\n')[0]}`);
  if (process.env['KAFKA_ORACLE_DEBUG'] && error instanceof Error) io.err(error.stack ?? '');
  return 70;
}
