/**
 * The canonical key of an explorer world (see canonical.ts for the abstractions): every
 * broker (running or not, its incarnation, its replica's state value and context, its
 * abstract log: only the flushed offset while the replica runs, since its context holds
 * the same log and checkpoints, which the refinement check in models/replication.ts
 * asserts), the controller and producer contexts, the in-flight messages grouped by link
 * in FIFO order, the pending timers, the faults spent and the ghost state. Left out: the
 * absolute clocks (only fresh/old timestamps matter), the depth and the step's events.
 */
import { type EncodeOptions, type EncodedPart, type Scope, type Slot, appendPart, encodePart, fillSlots, messageIssuer } from './canonical.ts';
import { type Fingerprint, Hasher, fingerprint } from './fingerprint.ts';
import { type HashedPart, Ranks, combine, hashHashedPart, hashedPartAt, hashedPartOf, noteHashedPart } from './key-sink.ts';
import { BUDGET_KEYS, type Budget, CONTROLLER_NODE, type Envelope, PRODUCER_NODE, type World, links } from './world.ts';

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
  for (const link of links(world.network))
    for (const e of world.network)
      if (e.link === link) out.push({ value: e.message, scope: { owner: e.to, clock: 0 }, issuer: messageIssuer(e.from, e.to, e.message.type), skip: SKIP_REPLICA, fixed: true, link: link.name });
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
 * The 64-bit fingerprint of the same content `worldKey` encodes, computed without the
 * text: numbers enter as words, texts through their cached fingerprints, each part's
 * segments are hashed once (the hashes cached per immutable holder, the text dropped:
 * key-sink.ts `hashedPartAt`; a snapshot's part starts with its state value, a timer's
 * with its node and kind), and correlation ids are renamed by rank exactly as `fillSlots`
 * does. Equal keys ⇔ equal fingerprints (up to hash collisions) is tested over whole
 * explorations (test/model/explore/state-key.test.ts).
 */
export function worldFingerprint(world: World, cursorModulus: number): Fingerprint {
  const n = encodedParts(world, cursorModulus, scratch);
  ranks.reset();
  for (let i = 0; i < n; i++) noteHashedPart(ranks, scratch[i] as HashedPart);
  hasher.reset();
  for (let b = 0; b < world.replicas.length; b++) {
    const snapshot = world.replicas[b];
    const disk = world.disks[b];
    hasher.word(world.incarnations[b] as number);
    if (snapshot === null || snapshot === undefined) {
      hasher.word(-1);
      hasher.text(json(disk));
    } else hasher.word(disk?.flushedOffset ?? -1);
  }
  for (let i = 0; i < n; i++) hashHashedPart(hasher, ranks, scratch[i] as HashedPart);
  const ghost = ghostPrint(world.ghost);
  hasher.word(ghost.hi);
  hasher.word(ghost.lo);
  hashBudget(world.used);
  return hasher.finish();
}

/** What a snapshot's context part starts with: its state value (a state name as itself, a nested value as its JSON). */
function valuePrefix(value: unknown): Fingerprint {
  return typeof value === 'string' ? combine(STATE_NAME, fingerprint(value)) : fingerprint(json(value));
}

const STATE_NAME: Fingerprint = { hi: 0x5157, lo: 0 };

/** What a timer event's part starts with: its node and its kind (the timer's id without its correlation id). */
function timerPrefix(id: string, node: string): Fingerprint {
  return combine(fingerprint(node), fingerprint(id.replace(/\/\d+$/, '')));
}

/** The faults spent, field by field (in `BUDGET_KEYS` order; a loop over the names would be a slow keyed load). */
function hashBudget(u: Budget): void {
  hasher.word(u.crashes);
  hasher.word(u.powerLosses);
  hasher.word(u.drops);
  hasher.word(u.duplicates);
  hasher.word(u.reorders);
  hasher.word(u.expirations);
  hasher.word(u.timeouts);
  hasher.word(u.lags);
}

/** Reused by every fingerprint (they run one at a time): the parts of the world being hashed. */
const scratch: HashedPart[] = [];

/**
 * The contexts, messages (by link, FIFO; a link marker part before each link; a frozen
 * world's network is sorted by link) and timer events of `world`, encoded, written into
 * `out` from index 0; returns how many.
 */
function encodedParts(world: World, cursorModulus: number, out: HashedPart[]): number {
  const replica = optionsFor(SKIP_REPLICA, cursorModulus);
  let n = 0;
  for (let b = 0; b < world.replicas.length; b++) {
    const snapshot = world.replicas[b];
    const owner = nodeOf(b);
    if (snapshot !== null && snapshot !== undefined) out[n++] = hashedPartAt(snapshot.context as object, owner, world.clocks[b] as number, owner, replica, false, snapshot.value, valuePrefix);
  }
  out[n++] = hashedPartAt(world.controller.context as object, CONTROLLER_NODE, world.controllerClock, CONTROLLER_NODE, optionsFor(SKIP_CONTROLLER, cursorModulus), false, world.controller.value, valuePrefix);
  out[n++] = hashedPartAt(world.producer.context as object, PRODUCER_NODE, world.producerClock, PRODUCER_NODE, replica, false, world.producer.value, valuePrefix);
  let link: Envelope['link'] | undefined;
  for (const e of world.network) {
    if (e.link !== link) {
      link = e.link;
      out[n++] = linkMarker(link.name);
    }
    out[n++] = hashedPartAt(e.message, e.to, 0, messageIssuer(e.from, e.to, e.message.type), replica, true);
  }
  for (const t of world.timers) out[n++] = hashedPartAt(t.event, t.node, 0, t.node, replica, false, t.id, timerPrefix);
  return n;
}

const nodes: string[] = [];

function nodeOf(b: number): string {
  return (nodes[b] ??= `broker-${b}`);
}

const optionsCache = new Map<ReadonlySet<string>, Map<number, EncodeOptions>>();

function optionsFor(skip: ReadonlySet<string>, cursorModulus: number): EncodeOptions {
  let byModulus = optionsCache.get(skip);
  if (byModulus === undefined) {
    byModulus = new Map();
    optionsCache.set(skip, byModulus);
  }
  let options = byModulus.get(cursorModulus);
  if (options === undefined) {
    options = { skip, cursorModulus };
    byModulus.set(cursorModulus, options);
  }
  return options;
}

const markers = new Map<string, HashedPart>();

function linkMarker(link: string): HashedPart {
  let marker = markers.get(link);
  if (marker === undefined) {
    marker = hashedPartOf([`@${link}`], []);
    markers.set(link, marker);
  }
  return marker;
}

const ghostPrints = new WeakMap<object, Fingerprint>();
const ghostHasher = new Hasher();

/**
 * The 64-bit fingerprint of a ghost, built from its fields as words (what `ghostKey`'s
 * text holds: every list with its length, an absent entry as its own marker), cached per
 * immutable ghost. Hashing the fields instead of the JSON text saves the text and its
 * lookup in a table of texts, per ghost.
 */
function ghostPrint(g: World['ghost']): Fingerprint {
  let fp = ghostPrints.get(g);
  if (fp !== undefined) return fp;
  const h = ghostHasher;
  h.reset();
  h.word(g.sent);
  h.word(g.acked.length);
  for (const a of g.acked) {
    h.text(a.value);
    h.word(a.offset);
  }
  h.word(g.ackConflicts.length);
  for (const c of g.ackConflicts) {
    h.text(c.value);
    h.word(c.offsets[0]);
    h.word(c.offsets[1]);
  }
  h.word(g.committed.length);
  for (let i = 0; i < g.committed.length; i++) {
    const c = g.committed[i];
    if (c === undefined) h.word(-1);
    else h.text(c.value);
  }
  h.word(g.leaderHighWatermarks.length);
  for (let i = 0; i < g.leaderHighWatermarks.length; i++) {
    const w = g.leaderHighWatermarks[i];
    if (w === undefined) h.word(-1);
    else {
      h.word(w.epoch);
      h.word(w.incarnation);
      h.word(w.highWatermark);
    }
  }
  fp = h.finish();
  ghostPrints.set(g, fp);
  return fp;
}

const ranks = new Ranks();

