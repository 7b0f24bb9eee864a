/**
 * The canonical key of an explorer world (see canonical.ts for the abstractions): every
 * broker (running or not, its incarnation, its replica's state value and context, its
 * abstract log: only the flushed offset while the replica runs, since its context holds
 * the same log and checkpoints, which the refinement check in models/replication.ts
 * asserts), the controller and producer contexts, the in-flight messages grouped by link
 * in FIFO order, the pending timers, the faults spent and the ghost state. Left out: the
 * absolute clocks (only fresh/old timestamps matter), the depth and the step's events.
 */
import { type Scope, type Slot, appendPart, encodePart, fillSlots, messageIssuer } from './canonical.ts';
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

export function worldKey(world: World, cursorModulus: number): string {
  const out: string[] = [];
  const slots: Slot[] = [];
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
    appendPart(encodePart(p.value as object, p.scope, p.issuer, { skip: p.skip, cursorModulus }, p.fixed), out, slots);
    out.push(';');
  }
  for (const t of world.timers) out.push('T', t.node, t.id.replace(/\/\d+$/, ''), ';');
  out.push(ghostKey(world.ghost));
  out.push('U');
  for (const k of BUDGET_KEYS) out.push(String(world.used[k]), ',');
  fillSlots(out, slots);
  return out.join('');
}
