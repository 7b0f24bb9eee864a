/**
 * The simulated cluster booted to the explorer's initial state (models/replication.ts
 * `initialWorld`): every message delivered in send order until none is in flight, no
 * timer fired. The explorer starts from that settled cluster (every broker registered,
 * broker-0 leads epoch 0, the followers fetched once, the producer has its id); the trace
 * driver checks the simulator reached the same one before taking a trace's first step.
 */
import type { Variant } from '../protocol/config.ts';
import { CONTROLLER } from '../protocol/messages.ts';
import { viewOf } from '../../model/explore/judge.ts';
import { type ReplicationBounds, replicationModel } from '../../model/explore/models/replication.ts';
import type { WorldView } from '../../model/view.ts';
import type { World } from './world.ts';

/** Deliveries the boot may take (three brokers settle in a few dozen). */
const BOOT_DELIVERIES = 1000;

/** What `settle` needs of a simulated world (the replication world and the exactly-once one both have it). */
export interface Settleable {
  readonly network: { pending(): readonly { readonly id: number }[] };
  deliverInFlight(id: number): unknown;
}

/** Deliver every in-flight message in send order until none is left (true: none is). */
export function settle(world: Settleable): boolean {
  for (let i = 0; i < BOOT_DELIVERIES; i++) {
    const first = world.network.pending()[0];
    if (first === undefined) return true;
    world.deliverInFlight(first.id);
  }
  return world.network.pending().length === 0;
}

/** How the simulator's settled cluster differs from the explorer's initial state (empty: it does not). */
export function bootDifferences(world: World, bounds: ReplicationBounds, variant: Variant | null): string[] {
  const initial = replicationModel(bounds, variant).initial;
  const differences = viewDifferences(world.view(), viewOf(initial));
  if (world.network.pending().length > 0) differences.push(`${world.network.pending().length} messages still in flight`);
  const simTimers = world.clock
    .pending()
    .filter((t) => t.payload.slot === 'main' && t.payload.node !== CONTROLLER)
    .map((t) => `${t.payload.node} ${t.payload.id}`)
    .sort();
  const explorerTimers = initial.timers.map((t) => `${t.node} ${t.id}`).sort();
  if (simTimers.join(', ') !== explorerTimers.join(', ')) differences.push(`timers [${simTimers.join(', ')}], the explorer's [${explorerTimers.join(', ')}]`);
  return differences;
}

function viewDifferences(sim: WorldView, explorer: WorldView): string[] {
  const out: string[] = [];
  const c = sim.controller;
  const d = explorer.controller;
  if (c.leader !== d.leader || c.leaderEpoch !== d.leaderEpoch || c.isr.join() !== d.isr.join())
    out.push(`controller: leader ${c.leader} epoch ${c.leaderEpoch} ISR [${c.isr.join(',')}], the explorer's leader ${d.leader} epoch ${d.leaderEpoch} ISR [${d.isr.join(',')}]`);
  sim.replicas.forEach((r, b) => {
    const e = explorer.replicas[b];
    const mine = `${r.role} e${r.leaderEpoch} HW ${r.highWatermark} LEO ${r.log.length}`;
    const theirs = e === undefined ? 'none' : `${e.role} e${e.leaderEpoch} HW ${e.highWatermark} LEO ${e.log.length}`;
    if (mine !== theirs) out.push(`broker-${b}: ${mine}, the explorer's ${theirs}`);
  });
  return out;
}
