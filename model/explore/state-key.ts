/**
 * The canonical key of an explorer world (see canonical.ts for the abstractions): every
 * broker (running or not, its incarnation, its replica's state value and context, its
 * abstract log: only the flushed offset while the replica runs, since its context holds
 * the same log and checkpoints, which the refinement check in models/replication.ts
 * asserts), the controller and producer contexts, the in-flight messages grouped by link
 * in FIFO order, the pending timers, the faults spent and the ghost state. Left out: the
 * absolute clocks (only fresh/old timestamps matter), the depth and the step's events.
 */
import { type EncodedPart, IdRenamer, type Scope, type Slot, appendPart, encodePart, fillSlots, messageIssuer } from './canonical.ts';
import { type Fingerprint, Hasher, fingerprint } from './fingerprint.ts';
import { BUDGET_KEYS, CONTROLLER_NODE, PRODUCER_NODE, type World, links } from './world.ts';

const SKIP_REPLICA = new Set(['config']);
/** lastHeartbeatMs: every session check is preceded by fresh heartbeats (actions.ts `expire`). */
const SKIP_CONTROLLER = new Set(['config', 'lastHeartbeatMs']);

interface Part {
  readonly value: unknown;
  readonly scope: Scope;
  readonly issuer: string;
  readonly skip: ReadonlySet<string>;
  readonly fixed: boolean;
  /** For a message: its link, `from>to`. */
  readonly link?: string;
}

function parts(world: World): Part[] {
  const out: Part[] = [];
  world.replicas.forEach((snapshot, b) => {
    const owner = `broker-${b}`;
    const scope = { owner, clock: world.clocks[b] as number };
    if (snapshot !== null) out.push({ value: snapshot.context, scope, issuer: owner, skip: SKIP_REPLICA, fixed: false });
  });
  const controllerScope = { owner: CONTROLLER_NODE, clock: world.controllerClock };
  out.push({ value: world.controller.context, scope: controllerScope, issuer: CONTROLLER_NODE, skip: SKIP_CONTROLLER, fixed: false });
  const producerScope = { owner: PRODUCER_NODE, clock: world.producerClock };
  out.push({ value: world.producer.context, scope: producerScope, issuer: PRODUCER_NODE, skip: SKIP_REPLICA, fixed: false });
  for (const { from, to } of links(world.network))
    for (const e of world.network)
      if (e.from === from && e.to === to)
        out.push({ value: e.message, scope: { owner: to, clock: 0 }, issuer: messageIssuer(from, to, e.message.type), skip: SKIP_REPLICA, fixed: true, link: `${from}>${to}` });
  for (const t of world.timers) out.push({ value: t.event, scope: { owner: t.node, clock: 0 }, issuer: t.node, skip: SKIP_REPLICA, fixed: false });
  return out;
}

/** JSON of immutable objects shared between states (ghosts, logs of stopped brokers, state values). */
const jsonText = new WeakMap<object, string>();

function json(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  let text = jsonText.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    jsonText.set(value, text);
  }
  return text;
}

const ghostText = new WeakMap<object, string>();

function ghostKey(g: World['ghost']): string {
  let text = ghostText.get(g);
  if (text === undefined) {
    text = `G${g.sent}${JSON.stringify(g.acked.map((a) => [a.value, a.offset]))}${JSON.stringify(g.ackConflicts)}${JSON.stringify(g.committed.map((c) => c?.value ?? null))}${JSON.stringify(g.leaderHighWatermarks)}`;
    ghostText.set(g, text);
  }
  return text;
}

/** A key's pieces in order: texts, and encoded parts whose id slots are renamed per state. */
type Item = string | EncodedPart;

function items(world: World, cursorModulus: number): Item[] {
  const out: Item[] = [];
  world.replicas.forEach((snapshot, b) => {
    const disk = world.disks[b];
    out.push(`B${b}:${world.incarnations[b]}:`);
    if (snapshot === null) out.push('down', json(disk));
    else out.push(json(snapshot.value), '@', String(disk?.flushedOffset));
    out.push(';');
  });
  out.push(json(world.controller.value), json(world.producer.value), '|');
  let link = '';
  for (const p of parts(world)) {
    if (p.link !== undefined && p.link !== link) {
      out.push('@', p.link);
      link = p.link;
    }
    out.push(encodePart(p.value as object, p.scope, p.issuer, { skip: p.skip, cursorModulus }, p.fixed), ';');
  }
  for (const t of world.timers) out.push('T', t.node, t.id.replace(/\/\d+$/, ''), ';');
  out.push(ghostKey(world.ghost));
  out.push('U');
  for (const k of BUDGET_KEYS) out.push(String(world.used[k]), ',');
  return out;
}

/** The canonical key as text (tests and debugging; BFS uses `worldFingerprint`). */
export function worldKey(world: World, cursorModulus: number): string {
  const out: string[] = [];
  const slots: Slot[] = [];
  for (const item of items(world, cursorModulus)) {
    if (typeof item === 'string') out.push(item);
    else appendPart(item, out, slots);
  }
  fillSlots(out, slots);
  return out.join('');
}

const hasher = new Hasher();

/**
 * The 64-bit fingerprint of the same pieces `worldKey` joins, without building the text:
 * each part's segments are hashed once (cached with the part's encoding) and a state costs
 * a few words per part and per correlation id (renamed by rank exactly as `fillSlots` does).
 */
export function worldFingerprint(world: World, cursorModulus: number): Fingerprint {
  const pieces = items(world, cursorModulus);
  const renamer = new IdRenamer();
  for (const item of pieces) if (typeof item !== 'string') for (const id of item.ids) if (id.id >= 0) renamer.note(id.issuer, id.id);
  renamer.seal();
  hasher.reset();
  for (const item of pieces) {
    if (typeof item === 'string') {
      hasher.text(item);
      continue;
    }
    const hashes = segmentHashes(item);
    for (let i = 0; i < item.ids.length; i++) {
      hasher.word(hashes[2 * i] as number);
      hasher.word(hashes[2 * i + 1] as number);
      const id = item.ids[i] as { issuer: string; id: number };
      hasher.word(id.id < 0 ? renamer.count(id.issuer) : renamer.rename(id.issuer, id.id));
    }
    hasher.word(hashes[2 * item.ids.length] as number);
    hasher.word(hashes[2 * item.ids.length + 1] as number);
  }
  return hasher.finish();
}

const segmentHashCache = new WeakMap<EncodedPart, Uint32Array>();

function segmentHashes(part: EncodedPart): Uint32Array {
  let hashes = segmentHashCache.get(part);
  if (hashes === undefined) {
    hashes = new Uint32Array(2 * part.segments.length);
    part.segments.forEach((segment, i) => {
      const fp = fingerprint(segment);
      (hashes as Uint32Array)[2 * i] = fp.hi;
      (hashes as Uint32Array)[2 * i + 1] = fp.lo;
    });
    segmentHashCache.set(part, hashes);
  }
  return hashes;
}
