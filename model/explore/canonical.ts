/**
 * Canonical state keys. xstate snapshots' JSON depends on key insertion order
 * (shared/reference/tooling.md §1), and two explorer states can differ only in values
 * that no machine can tell apart. The key encodes every machine context, message and
 * timer with sorted object keys, and abstracts three kinds of value exactly:
 *
 * - **Correlation ids** are only compared for equality and drawn fresh from a counter.
 *   Per issuing node, the ids present anywhere in the state (its context, requests it
 *   sent, responses addressed to it, timers naming them) are renamed by rank, and its
 *   `nextCorrelationId` becomes their count: an order-preserving renaming, so the
 *   renamed state behaves identically (a bisimulation). The issuer of an id is: for a
 *   message, the sender of a request or the receiver of a response; for a context entry
 *   with a `from` field, that node; otherwise the machine that owns the context.
 * - **Timestamps** in a context (`lastCaughtUpTimeMs`, `lastFetchTimeMs`, `sentMs`) are
 *   only compared with the owning node's clock against thresholds. The explorer advances
 *   a node's clock only in jumps larger than every threshold (actions.ts), so a timestamp
 *   is either "fresh" (= the clock) or older than every threshold: F or O says it all.
 * - **Deadlines** (`retryAfterMs` = the clock plus a backoff) are either ahead of the
 *   clock or reached, by the same argument: W or R.
 * - **Cursors** used modulo a list length (`metadataCursor`) are reduced modulo it.
 *
 * `config` is constant over an exploration and left out. Fields that only host-level
 * ghosts need (the controller's `lastHeartbeatMs`, see models/replication.ts) are dropped
 * by the caller's `skip` list.
 */
import { sortSmall } from './sort.ts';

/** How a context's values are abstracted. */
export interface Scope {
  /** The node that owns the context (default issuer of its correlation ids). */
  readonly owner: string;
  /** The owner's logical clock (timestamps equal to it are fresh). */
  readonly clock: number;
}

const ID_FIELDS = new Set(['correlationId', 'fetchCorrelationId', 'initCorrelationId', 'metadataCorrelationId']);
const NEXT_FIELDS = new Set(['nextCorrelationId']);
const TIME_FIELDS = new Set(['lastCaughtUpTimeMs', 'lastFetchTimeMs', 'sentMs', 'lastHeartbeatMs']);
/** Deadlines (`nowMs + delay`): either still ahead of the clock (W) or reached (R). */
const DEADLINE_FIELDS = new Set(['retryAfterMs']);

/** Fields never encoded: constant over a run, or ghosts the model keeps elsewhere. */
export interface EncodeOptions {
  readonly skip: ReadonlySet<string>;
  /** Modulus for `metadataCursor` (the bootstrap broker count). */
  readonly cursorModulus: number;
}

/** Collects, per issuer, the correlation ids a state mentions; then renames them by rank. */
export class IdRenamer {
  private readonly seen = new Map<string, Set<number>>();
  private ranks: Map<string, Map<number, number>> | undefined;

  note(issuer: string, id: number): void {
    if (id < 0) return;
    let ids = this.seen.get(issuer);
    if (ids === undefined) {
      ids = new Set();
      this.seen.set(issuer, ids);
    }
    ids.add(id);
  }

  /** Freeze: after this, `rename` and `count` answer. */
  seal(): void {
    this.ranks = new Map();
    for (const [issuer, ids] of this.seen) {
      const sorted = [...ids].sort((a, b) => a - b);
      this.ranks.set(issuer, new Map(sorted.map((id, i) => [id, i])));
    }
  }

  rename(issuer: string, id: number): number {
    if (id < 0) return id;
    return this.ranks?.get(issuer)?.get(id) ?? -2;
  }

  count(issuer: string): number {
    return this.ranks?.get(issuer)?.size ?? 0;
  }
}

/**
 * Encodings of subtrees that hold no id, timestamp, deadline or cursor (most of a log,
 * the controller's partitions, LeaderAndIsr messages): they are the same in every state,
 * so each immutable object is encoded once.
 */
const pureText = new WeakMap<object, string>();

/** Strings without structural characters are written unterminated (the next token ends them). */
const SAFE = /^[\w.\-/]*$/;

/** A position in the encoding that holds a correlation id (or a counter) until renaming. */
export interface Slot {
  readonly at: number;
  readonly issuer: string;
  /** The id, or -1 for `nextCorrelationId` (the issuer's count of live ids). */
  readonly id: number;
}

/**
 * Appends the canonical encoding of `value` to `out`, leaving a slot for each correlation
 * id (filled by `fillSlots` once every id of the state is known). `issuer` is the default
 * issuer of ids found directly in it. Returns whether the subtree was pure (cacheable).
 */
export function walk(
  value: unknown,
  scope: Scope,
  issuer: string,
  options: EncodeOptions,
  out: string[],
  slots: Slot[],
  /** A message: its ids belong to `issuer` (see messageIssuer), whatever its `from` says. */
  fixedIssuer = false,
): boolean {
  if (value === null || typeof value !== 'object') {
    if (typeof value !== 'string') out.push(String(value));
    else out.push(SAFE.test(value) ? `"${value}` : JSON.stringify(value));
    return true;
  }
  const cached = pureText.get(value);
  if (cached !== undefined) {
    out.push(cached);
    return true;
  }
  const mark = out.length;
  let pure = true;
  if (Array.isArray(value)) {
    out.push('[');
    for (const item of value) {
      pure = walk(item, scope, issuer, options, out, slots) && pure;
      out.push(',');
    }
    out.push(']');
  } else {
    pure = walkRecord(value as Record<string, unknown>, scope, issuer, options, out, slots, fixedIssuer);
  }
  if (pure) {
    const text = out.slice(mark).join('');
    out.length = mark;
    out.push(text);
    pureText.set(value, text);
  }
  return pure;
}

function walkRecord(record: Record<string, unknown>, scope: Scope, issuer: string, options: EncodeOptions, out: string[], slots: Slot[], fixedIssuer: boolean): boolean {
  const from = !fixedIssuer && typeof record['from'] === 'string' ? (record['from'] as string) : issuer;
  let pure = true;
  out.push('{');
  for (const key of sortSmall(Object.keys(record))) {
    if (options.skip.has(key)) continue;
    const field = record[key];
    out.push(key, ':');
    if (typeof field !== 'number') pure = walk(field, scope, from, options, out, slots) && pure;
    else if (ID_FIELDS.has(key)) {
      pure = false;
      if (field < 0) out.push(String(field));
      else {
        slots.push({ at: out.length, issuer: from, id: field });
        out.push('');
      }
    } else if (NEXT_FIELDS.has(key)) {
      pure = false;
      slots.push({ at: out.length, issuer: scope.owner, id: -1 });
      out.push('');
    } else if (TIME_FIELDS.has(key)) {
      pure = false;
      out.push(field >= scope.clock ? 'F' : 'O');
    } else if (DEADLINE_FIELDS.has(key)) {
      pure = false;
      out.push(field > scope.clock ? 'W' : 'R');
    } else if (key === 'metadataCursor') {
      pure = false;
      out.push(String(field % options.cursorModulus));
    } else out.push(String(field));
    out.push(',');
  }
  out.push('}');
  return pure;
}

/** A part's encoding as text segments around its id slots (segments.length = ids.length + 1). */
export interface EncodedPart {
  readonly segments: readonly string[];
  readonly ids: readonly { readonly issuer: string; readonly id: number }[];
}

interface CachedPart {
  readonly clock: number;
  readonly issuer: string;
  readonly encoded: EncodedPart;
}

const partCache = new WeakMap<object, CachedPart>();

/**
 * The encoding of one context, message or timer event, cached per immutable object (and
 * the owner's clock, which decides fresh/old): a step changes one or two machines and a
 * few messages, so most parts of a successor's key are reused from its parent.
 */
export function encodePart(value: object, scope: Scope, issuer: string, options: EncodeOptions, fixedIssuer: boolean): EncodedPart {
  const cached = partCache.get(value);
  if (cached !== undefined && cached.clock === scope.clock && cached.issuer === issuer) return cached.encoded;
  return encodeFresh(value, scope, issuer, options, fixedIssuer);
}

/** The encoding of `value` as `encodePart` makes it, computed afresh and not cached (key-sink.ts `hashedPartAt` keeps only its hashes). */
export function encodeUncached(value: object, scope: Scope, issuer: string, options: EncodeOptions, fixedIssuer: boolean): EncodedPart {
  const out: string[] = [];
  const slots: Slot[] = [];
  walk(value, scope, issuer, options, out, slots, fixedIssuer);
  const segments: string[] = [];
  let from = 0;
  for (const slot of slots) {
    segments.push(out.slice(from, slot.at).join(''));
    from = slot.at + 1;
  }
  segments.push(out.slice(from).join(''));
  return { segments, ids: slots.map((x) => ({ issuer: x.issuer, id: x.id })) };
}

function encodeFresh(value: object, scope: Scope, issuer: string, options: EncodeOptions, fixedIssuer: boolean): EncodedPart {
  const encoded = encodeUncached(value, scope, issuer, options, fixedIssuer);
  partCache.set(value, { clock: scope.clock, issuer, encoded });
  return encoded;
}

/** Append an encoded part to `out`, adding its slots (positions in `out`) to `slots`. */
export function appendPart(part: EncodedPart, out: string[], slots: Slot[]): void {
  const { segments, ids } = part;
  for (let i = 0; i < ids.length; i++) {
    out.push(segments[i] as string);
    const id = ids[i] as { issuer: string; id: number };
    slots.push({ at: out.length, issuer: id.issuer, id: id.id });
    out.push('');
  }
  out.push(segments[ids.length] as string);
}

/** Rename every slot's id by rank among its issuer's ids (see the header). */
export function fillSlots(out: string[], slots: readonly Slot[]): void {
  const renamer = new IdRenamer();
  for (const slot of slots) if (slot.id >= 0) renamer.note(slot.issuer, slot.id);
  renamer.seal();
  for (const slot of slots) out[slot.at] = String(slot.id < 0 ? renamer.count(slot.issuer) : renamer.rename(slot.issuer, slot.id));
}

/** The issuer of a message's correlation id: the requester. */
export function messageIssuer(from: string, to: string, type: string): string {
  return type.endsWith('Response') ? to : from;
}
