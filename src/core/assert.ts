/**
 * Assertions state what the code believes. A failed assertion is a bug in this project,
 * never a bad input: bad input is reported with {@link InputError}.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a branch the type system proves unreachable. */
export function unreachable(value: never, what = 'value'): never {
  throw new AssertionError(`unreachable ${what}: ${JSON.stringify(value)}`);
}

/**
 * A problem with what the user gave us (a file, a flag, a history line). The CLI prints
 * its message as one line and exits 2; the message names what and where.
 */
export class InputError extends Error {
  override name = 'InputError';
}
