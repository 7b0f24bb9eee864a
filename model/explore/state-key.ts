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
import { type Fingerprint, Hasher } from './fingerprint.ts';
import { type HashedPart, Ranks, hashHashedPart, hashSegments, hashedPartAt } from './key-sink.ts';
import { BUDGET_KEYS, CONTROLLER_NODE, type Envelope, PRODUCER_NODE, type World, links } from './world.ts';

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
 * segments are hashed once (the hashes cached per immutable object, the text dropped:
 * key-sink.ts `hashedPartAt`), and correlation ids are
 * renamed by rank exactly as `fillSlots` does. Equal keys ⇔ equal fingerprints (up to
 * hash collisions) is tested over whole explorations (test/model/explore/state-key.test.ts).
 */
export function worldFingerprint(world: World, cursorModulus: number): Fingerprint {
  const encoded = encodedParts(world, cursorModulus);
  ranks.reset();
  for (const part of encoded) for (const id of part.ids) if (id.id >= 0) ranks.note(id.issuer, id.id);
  hasher.reset();
  world.replicas.forEach((snapshot, b) => {
    const disk = world.disks[b];
    hasher.word(world.incarnations[b] as number);
    if (snapshot === null) {
      hasher.word(-1);
      hasher.text(json(disk));
    } else {
      hashValue(snapshot.value);
      hasher.word(disk?.flushedOffset ?? -1);
    }
  });
  hashValue(world.controller.value);
  hashValue(world.producer.value);
  for (const part of encoded) hashHashedPart(hasher, ranks, part);
  for (const t of world.timers) {
    hasher.text(t.node);
    hasher.text(timerKind(t.id));
  }
  hasher.text(ghostKey(world.ghost));
  for (const k of BUDGET_KEYS) hasher.word(world.used[k]);
  return hasher.finish();
}

/** A machine's state value: a state name as itself, a nested value through its (cached) JSON. */
function hashValue(value: unknown): void {
  if (typeof value === 'string') {
    hasher.word(0x5157);
    hasher.text(value);
  } else hasher.text(json(value));
}


/** The contexts, messages (by link, FIFO; a link marker part before each link) and timer events of `world`, encoded. */
function encodedParts(world: World, cursorModulus: number): HashedPart[] {
  const replica = optionsFor(SKIP_REPLICA, cursorModulus);
  const out: HashedPart[] = [];
  world.replicas.forEach((snapshot, b) => {
    const owner = nodeOf(b);
    if (snapshot !== null) out.push(hashedPartAt(snapshot.context as object, owner, world.clocks[b] as number, owner, replica, false));
  });
  out.push(hashedPartAt(world.controller.context as object, CONTROLLER_NODE, world.controllerClock, CONTROLLER_NODE, optionsFor(SKIP_CONTROLLER, cursorModulus), false));
  out.push(hashedPartAt(world.producer.context as object, PRODUCER_NODE, world.producerClock, PRODUCER_NODE, replica, false));
  for (const part of messageParts(world.network, replica)) out.push(part);
  for (const t of world.timers) out.push(hashedPartAt(t.event, t.node, 0, t.node, replica, false));
  return out;
}

/** The in-flight messages' parts: a marker per link, then its messages FIFO (a frozen world's network is sorted by link). */
function messageParts(network: readonly Envelope[], options: EncodeOptions): HashedPart[] {
  const parts: HashedPart[] = [];
  let link: Envelope['link'] | undefined;
  for (const e of network) {
    if (e.link !== link) {
      link = e.link;
      parts.push(linkMarker(link.name));
    }
    parts.push(hashedPartAt(e.message, e.to, 0, messageIssuer(e.from, e.to, e.message.type), options, true));
  }
  return parts;
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
    marker = { hashes: hashSegments([`@${link}`]), ids: [] };
    markers.set(link, marker);
  }
  return marker;
}

const kinds = new Map<string, string>();

function timerKind(id: string): string {
  let kind = kinds.get(id);
  if (kind === undefined) {
    kind = id.replace(/\/\d+$/, '');
    kinds.set(id, kind);
  }
  return kind;
}

const ranks = new Ranks();

