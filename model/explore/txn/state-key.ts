/**
 * The canonical key of a transactions explorer world (canonical.ts's abstractions: sorted
 * fields, correlation ids renamed by rank per issuer, timestamps fresh/old, deadlines
 * waiting/reached): the coordinator, partition and producer contexts and state values, the
 * coordinator epoch, the last `__transaction_state` record per transactional id (all a
 * reload reads; only while a failover is left in the budget), the messages in flight by link in FIFO order, the pending timers, the
 * faults spent and the ghost state. Left out: the producers' absolute clocks, the depth,
 * the step's events, `config` (constant) and the producers' `findCursor` (used modulo the
 * bootstrap list, which has one broker).
 */
import type { LogBatch } from '../../../src/protocol/log.ts';
import { type EncodeOptions, type Scope, encodePart, messageIssuer } from '../canonical.ts';
import type { Fingerprint } from '../fingerprint.ts';
import { HashSink, type KeySink, TextSink } from '../key-sink.ts';
import { COORDINATOR_NODE, TXN_BUDGET_KEYS, type TxnGhost, type TxnWorld, linksOf, onLink, partitionNode, producerNode } from './world.ts';

const OPTIONS: EncodeOptions = { skip: new Set(['config', 'findCursor']), cursorModulus: 1 };

const textOf = new WeakMap<object, string>();

function cached<T extends object>(value: T, encode: (v: T) => string): string {
  let text = textOf.get(value);
  if (text === undefined) {
    text = encode(value);
    textOf.set(value, text);
  }
  return text;
}

/** The last record per key: what a coordinator loading the log sees. */
function txnLogKey(log: readonly LogBatch[]): string {
  const latest = new Map<string, string>();
  for (const b of log) for (const r of b.records) if (r.key !== null) latest.set(r.key, r.value);
  return JSON.stringify([...latest.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

function ghostKey(g: TxnGhost): string {
  return `G${JSON.stringify(g.txns.map((t) => [t.incarnation, t.index, t.status, t.sends.map((s) => `${s.value}>${s.partition}`)]))}${JSON.stringify(g.fence)}${JSON.stringify(g.reads)}${JSON.stringify(g.maxLso)}`;
}

function put(value: object, scope: Scope, issuer: string, fixed: boolean, sink: KeySink): void {
  sink.part(encodePart(value, scope, issuer, OPTIONS, fixed));
  sink.text(';');
}

/**
 * `withLog`: whether the `__transaction_state` log is part of the key. Only a coordinator
 * failover reads it; while no failover is left in the budget it cannot tell two states apart.
 */
export function txnWorldKey(world: TxnWorld, withLog = true): string {
  const sink = new TextSink();
  writeKey(world, withLog, sink);
  return sink.finish();
}

/** The fingerprint of `txnWorldKey`'s content, without building the text (key-sink.ts). */
export function txnWorldFingerprint(world: TxnWorld, withLog = true): Fingerprint {
  const sink = new HashSink();
  writeKey(world, withLog, sink);
  return sink.finish();
}

function writeKey(world: TxnWorld, withLog: boolean, sink: KeySink): void {
  for (const t of [`C${world.coordinatorEpoch}`, JSON.stringify(world.coordinator.value), withLog ? cached(world.txnLog, txnLogKey) : '', '|']) sink.text(t);
  put(world.coordinator.context as object, { owner: COORDINATOR_NODE, clock: 0 }, COORDINATOR_NODE, false, sink);
  world.partitions.forEach((s, p) => put(s.context as object, { owner: partitionNode(p), clock: 0 }, partitionNode(p), false, sink));
  world.producers.forEach((s, i) => {
    sink.text(JSON.stringify(s.value));
    put(s.context as object, { owner: producerNode(i), clock: world.clocks[i] as number }, producerNode(i), false, sink);
  });
  for (const link of linksOf(world.network)) {
    sink.text(`@${link.from}>${link.to}${link.response ? '<' : ''}`);
    for (const e of world.network) if (onLink(e, link)) put(e.message, { owner: link.to, clock: 0 }, messageIssuer(link.from, link.to, e.message.type), true, sink);
  }
  for (const t of world.timers) {
    sink.text(`T${t.node}${t.id.replace(/\/\d+$/, '')}`);
    put(t.event, { owner: t.node, clock: 0 }, t.node, false, sink);
  }
  sink.text(cached(world.ghost, ghostKey));
  sink.text('U');
  for (const k of TXN_BUDGET_KEYS) sink.text(`${world.used[k]},`);
}
