/**
 * The explorer's clocks on the simulator's one clock. The explorer gives each broker and
 * the producer a clock of its own that moves only in jumps past every threshold (a late
 * ISR check; any producer timer), so each timestamp a machine keeps is "fresh" (taken
 * since its node's last jump) or "old" (spec/explorer.md, time). The simulator has one
 * logical clock, which every delivery and timer moves forward a little and every expiry
 * moves past the session timeout. Where a handler compares a timestamp with a threshold,
 * the two agree only if every fresh timestamp is still within the threshold on the one
 * clock. These checks find the two handlers where they would not agree, so the trace
 * driver refuses the step instead of taking a different machine step than the explorer:
 *
 * - the leader's on-time ISR check (`onIsrCheck`: lastCaughtUpTimeMs against
 *   replica.lag.time.max.ms, a pending AlterPartition's sentMs against request.timeout.ms);
 * - the producer's retry backoff (`drain`: retryAfterMs against the event's time).
 *
 * The controller's session timestamps need no check: an expiry jumps past the session
 * timeout and heartbeats every other live broker first, as the explorer's `expire` does.
 */
import type { ClusterConfig } from '../protocol/config.ts';
import type { ProducerContext } from '../machines/producer.ts';
import type { ReplicaContext } from '../machines/replica.ts';
import { step } from '../machines/step.ts';
import type { Hosted } from './roles.ts';

/** How far a late ISR check moves the clock: past every threshold `onIsrCheck` compares. */
export function lateJump(config: ClusterConfig): number {
  return Math.max(config['replica.lag.time.max.ms'], config['request.timeout.ms']) + 1;
}

/**
 * Why an ISR check the explorer fires on time would be late at `atMs` on the one clock
 * (undefined: it would not). `since`: when the leader's clock last jumped (a late check).
 */
export function isrCheckLate(replica: ReplicaContext, atMs: number, since: number): string | undefined {
  const { config } = replica;
  const lag = config['replica.lag.time.max.ms'];
  const v = replica.volatile;
  for (const f of v.followers) {
    if (!v.isr.includes(f.brokerId) || f.lastCaughtUpTimeMs < since || atMs - f.lastCaughtUpTimeMs <= lag) continue;
    return `the explorer fires this ISR check on time, but on the simulator's one clock broker-${f.brokerId} last caught up ${atMs - f.lastCaughtUpTimeMs} ms before it (replica.lag.time.max.ms=${lag}): it would leave the ISR`;
  }
  const pending = v.pendingIsr;
  if (pending !== null && pending.sentMs >= since && atMs - pending.sentMs >= config['request.timeout.ms'])
    return `the explorer fires this ISR check on time, but on the simulator's one clock the pending AlterPartition was sent ${atMs - pending.sentMs} ms before it (request.timeout.ms=${config['request.timeout.ms']}): it would be given up`;
  return undefined;
}

/**
 * Why `event`, reaching the producer at `atMs`, would take another step than on the
 * explorer's producer clock (undefined: the same step). A retry backoff taken since the
 * producer's clock last jumped (`since`: its last timer) still runs on the explorer's
 * clock; if it has ended on the one clock, the event is stepped both ways and their
 * effects compared (a batch sent early is a different step). `sender`: the data path's
 * state (a transactional producer's `sender`; the producer's own context by default).
 */
export function backoffChangesStep(producer: Hosted, event: object, atMs: number, since: number, sender = producer.context as ProducerContext): string | undefined {
  const over = sender.partitions.flatMap((p) => p.batches).filter((b) => b.correlationId < 0 && b.retryAfterMs > since && b.retryAfterMs > 0 && b.retryAfterMs <= atMs);
  const first = over[0];
  if (first === undefined) return undefined;
  const explorerAt = Math.min(...over.map((b) => b.retryAfterMs)) - 1;
  if (effectsAt(producer, event, atMs) === effectsAt(producer, event, explorerAt)) return undefined;
  return `the producer's retry backoff for ${first.value} ended at ${first.retryAfterMs} ms on the simulator's one clock (now ${atMs} ms) but still runs on the explorer's producer clock: the producer would send early`;
}

function effectsAt(hosted: Hosted, event: object, atMs: number): string {
  return JSON.stringify(step(hosted.machine, hosted.snapshot as never, { ...event, nowMs: atMs } as never).effects);
}

/** Where a producer timer fires: past every retry backoff, as the explorer's producer clock jump is. */
export function producerJump(producer: ProducerContext, atMs: number): number {
  let at = atMs;
  for (const p of producer.partitions) for (const b of p.batches) at = Math.max(at, b.retryAfterMs);
  return at;
}
