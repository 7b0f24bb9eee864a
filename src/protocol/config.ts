/**
 * The configuration of a simulated cluster, keyed by Kafka's own config names (broker,
 * topic and producer configs share one flat namespace here, as they do in a test's
 * properties). Defaults are today's Kafka (4.x). `variant` switches off exactly one
 * historical fix (see spec/replication.md); `null` is today's protocol.
 *
 * Text form (`formatConfig` / `parseConfig`): `key=value` pairs separated by spaces, in
 * the canonical order of `CONFIG_KEYS`, then `variant=NAME` when one is set. That string
 * is what counterexamples print, so it round-trips exactly.
 */
import { InputError } from '../core/assert.ts';

/**
 * Protocol variants: each removes one fix. The transactions issue appends its own names
 * here (e.g. pre-KIP-890 transaction version 1).
 */
export const VARIANTS = [
  /** Pre KIP-101 (KAFKA-1211): a new follower truncates to its high watermark. */
  'truncate-to-high-watermark',
  /** Pre KIP-320 (KAFKA-6880): Fetch/OffsetsForLeaderEpoch are not fenced by leader epoch. */
  'no-leader-epoch-fencing',
  /** KAFKA-7128: a follower may join the ISR before reaching the leader's epoch start offset. */
  'no-isr-join-epoch-check',
  /** Pre KIP-98 zombie fencing: InitProducerId does not bump the epoch (a zombie keeps writing). */
  'no-zombie-fencing',
  /** Pre KIP-447: TxnOffsetCommit is not fenced by the group's generation and member id. */
  'no-generation-fencing',
  /** KIP-890 part 1 off: a transactional write is not verified against the coordinator. */
  'no-partition-verification',
] as const;

export type Variant = (typeof VARIANTS)[number];

export type Acks = 0 | 1 | -1;

export type IsolationLevel = 'read_uncommitted' | 'read_committed';

export interface ClusterConfig {
  /** Producer: 0, 1 or -1 ("all"). */
  readonly acks: Acks;
  readonly 'min.insync.replicas': number;
  readonly 'replication.factor': number;
  readonly 'unclean.leader.election.enable': boolean;
  /** Fsync after this many records; Kafka's default Long.MAX_VALUE means never. */
  readonly 'flush.messages': number;
  /** KIP-966 eligible leader replicas (on by default for new clusters from 4.1). */
  readonly 'eligible.leader.replicas.enable': boolean;
  readonly 'enable.idempotence': boolean;
  readonly retries: number;
  readonly 'max.in.flight.requests.per.connection': number;
  readonly 'request.timeout.ms': number;
  /** Producer: wait before re-asking for metadata or a producer id. */
  readonly 'retry.backoff.ms': number;
  readonly 'replica.lag.time.max.ms': number;
  /** How long a follower's Fetch waits for data before the leader answers empty. */
  readonly 'replica.fetch.wait.max.ms': number;
  readonly 'broker.heartbeat.interval.ms': number;
  readonly 'broker.session.timeout.ms': number;
  readonly 'segment.bytes': number;
  /** KIP-890: 2 bumps the epoch on every EndTxn (default from 4.0); 1 is the older protocol. */
  readonly 'transaction.version': number;
  readonly 'transaction.timeout.ms': number;
  readonly 'isolation.level': IsolationLevel;
  readonly 'session.timeout.ms': number;
  readonly variant: Variant | null;
}

/** Kafka's Long.MAX_VALUE, as close as a JS number gets. */
export const NEVER = Number.MAX_SAFE_INTEGER;

export const DEFAULT_CONFIG: ClusterConfig = {
  acks: -1,
  'min.insync.replicas': 1,
  'replication.factor': 1,
  'unclean.leader.election.enable': false,
  'flush.messages': NEVER,
  'eligible.leader.replicas.enable': true,
  'enable.idempotence': true,
  retries: 2147483647,
  'max.in.flight.requests.per.connection': 5,
  'request.timeout.ms': 30000,
  'retry.backoff.ms': 100,
  'replica.lag.time.max.ms': 30000,
  'replica.fetch.wait.max.ms': 500,
  'broker.heartbeat.interval.ms': 2000,
  'broker.session.timeout.ms': 9000,
  'segment.bytes': 1073741824,
  'transaction.version': 2,
  'transaction.timeout.ms': 60000,
  'isolation.level': 'read_uncommitted',
  'session.timeout.ms': 45000,
  variant: null,
};

type Key = Exclude<keyof ClusterConfig, 'variant'>;

/** The canonical order of the text form. */
export const CONFIG_KEYS: readonly Key[] = [
  'acks',
  'min.insync.replicas',
  'replication.factor',
  'unclean.leader.election.enable',
  'flush.messages',
  'eligible.leader.replicas.enable',
  'enable.idempotence',
  'retries',
  'max.in.flight.requests.per.connection',
  'request.timeout.ms',
  'retry.backoff.ms',
  'replica.lag.time.max.ms',
  'replica.fetch.wait.max.ms',
  'broker.heartbeat.interval.ms',
  'broker.session.timeout.ms',
  'segment.bytes',
  'transaction.version',
  'transaction.timeout.ms',
  'isolation.level',
  'session.timeout.ms',
];

const BOOLEAN_KEYS: ReadonlySet<Key> = new Set<Key>([
  'unclean.leader.election.enable',
  'eligible.leader.replicas.enable',
  'enable.idempotence',
]);

/** Smallest legal value of each integer key (acks is handled on its own). */
const MINIMUM: Partial<Record<Key, number>> = {
  'min.insync.replicas': 1,
  'replication.factor': 1,
  'flush.messages': 1,
  retries: 0,
  'max.in.flight.requests.per.connection': 1,
  'request.timeout.ms': 1,
  'retry.backoff.ms': 0,
  'replica.lag.time.max.ms': 1,
  'replica.fetch.wait.max.ms': 0,
  'broker.heartbeat.interval.ms': 1,
  'broker.session.timeout.ms': 1,
  'segment.bytes': 14,
  'transaction.version': 1,
  'transaction.timeout.ms': 1,
  'session.timeout.ms': 1,
};

export function formatConfig(config: ClusterConfig): string {
  const pairs = CONFIG_KEYS.map((key) => `${key}=${formatValue(key, config[key])}`);
  if (config.variant !== null) pairs.push(`variant=${config.variant}`);
  return pairs.join(' ');
}

/** Kafka's Long.MAX_VALUE, the text `flush.messages` and friends have by default. */
const LONG_MAX_TEXT = '9223372036854775807';

function formatValue(key: Key, value: number | boolean | string): string {
  if (key === 'acks' && value === -1) return 'all';
  if (value === NEVER) return LONG_MAX_TEXT;
  return String(value);
}

/** Reads `formatConfig`'s form; keys left out take their defaults. */
export function parseConfig(text: string): ClusterConfig {
  const result: Record<string, unknown> = { ...DEFAULT_CONFIG };
  const seen = new Set<string>();
  for (const pair of text.split(/\s+/).filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InputError(`config: '${pair}' is not key=value`);
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (seen.has(key)) throw new InputError(`config: key '${key}' given twice`);
    seen.add(key);
    result[key] = parseValue(key, value);
  }
  return validateConfig(result as unknown as ClusterConfig);
}

function parseValue(key: string, value: string): unknown {
  if (key === 'variant') return parseVariant(value);
  if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
    throw new InputError(`config: unknown key '${key}' (known: ${CONFIG_KEYS.join(', ')}, variant)`);
  }
  const k = key as Key;
  if (k === 'acks') return parseAcks(value);
  if (k === 'isolation.level') return parseIsolationLevel(value);
  if (BOOLEAN_KEYS.has(k)) return parseBoolean(k, value);
  return parseInteger(k, value);
}

function parseVariant(value: string): Variant | null {
  if (value === 'none') return null;
  const found = VARIANTS.find((v) => v === value);
  if (found === undefined) {
    throw new InputError(`config: unknown variant '${value}' (known: none, ${VARIANTS.join(', ')})`);
  }
  return found;
}

function parseAcks(value: string): Acks {
  if (value === 'all' || value === '-1') return -1;
  if (value === '0') return 0;
  if (value === '1') return 1;
  throw new InputError(`config: acks must be 0, 1, -1 or all, not '${value}'`);
}

function parseIsolationLevel(value: string): IsolationLevel {
  if (value === 'read_uncommitted' || value === 'read_committed') return value;
  throw new InputError(`config: isolation.level must be read_uncommitted or read_committed, not '${value}'`);
}

function parseBoolean(key: Key, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InputError(`config: ${key} must be true or false, not '${value}'`);
}

function parseInteger(key: Key, value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InputError(`config: ${key} must be an integer, not '${value}'`);
  const n = Math.min(Number(value), NEVER); // Long.MAX_VALUE etc. clamp to "never"
  const min = MINIMUM[key] ?? 0;
  if (n < min) throw new InputError(`config: ${key} must be at least ${min}, not ${value}`);
  return n;
}

/** Cross-key rules Kafka enforces (`ProducerConfig`): idempotence needs ≤ 5 in flight. */
export function validateConfig(config: ClusterConfig): ClusterConfig {
  const inFlight = config['max.in.flight.requests.per.connection'];
  if (config['enable.idempotence'] && inFlight > 5) {
    throw new InputError(
      `config: max.in.flight.requests.per.connection must be at most 5 with enable.idempotence=true, not ${inFlight}`,
    );
  }
  if (config['transaction.version'] > 2) {
    throw new InputError(`config: transaction.version must be 1 or 2, not ${config['transaction.version']}`);
  }
  if (config['enable.idempotence'] && config.acks !== -1) {
    throw new InputError(`config: enable.idempotence=true requires acks=all, not acks=${config.acks}`);
  }
  return config;
}

/** The effective min ISR: min(min.insync.replicas, replication factor) (KIP-966). */
export function effectiveMinIsr(config: ClusterConfig): number {
  return Math.min(config['min.insync.replicas'], config['replication.factor']);
}

export function hasVariant(config: ClusterConfig, variant: Variant): boolean {
  return config.variant === variant;
}
