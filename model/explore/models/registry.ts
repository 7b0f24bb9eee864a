/**
 * Models by name, built from a plain recipe: what the parallel explorer sends each worker
 * thread so that it builds the same model (same initial state, same deterministic actions).
 */
import type { Variant } from '../../../src/protocol/config.ts';
import type { ExploreModel } from '../bfs.ts';
import type { Reduction } from '../reduction.ts';
import { type ReplicationBounds, replicationModel } from './replication.ts';
import { type TransactionsBounds, type TransactionsProtocol, transactionsModel } from './transactions.ts';

export interface ReplicationRecipe {
  readonly model: 'replication';
  readonly bounds: ReplicationBounds;
  readonly variant: Variant | null;
  readonly reduction?: Reduction;
}

export interface TransactionsRecipe {
  readonly model: 'transactions';
  readonly bounds: TransactionsBounds;
  readonly protocol: TransactionsProtocol;
  readonly invariants: readonly string[];
}

export type ModelRecipe = ReplicationRecipe | TransactionsRecipe;

export function buildModel(recipe: ModelRecipe): ExploreModel<unknown, unknown> {
  switch (recipe.model) {
    case 'replication':
      return replicationModel(recipe.bounds, recipe.variant, undefined, recipe.reduction ?? 'none') as unknown as ExploreModel<unknown, unknown>;
    case 'transactions':
      return transactionsModel(recipe.bounds, recipe.protocol, recipe.invariants) as unknown as ExploreModel<unknown, unknown>;
  }
}

/**
 * Which fingerprint function a model's states are hashed with. A checkpoint keeps the
 * number its fingerprints were made with, and a resume under another is refused: the
 * same state would hash differently and be searched again. Replication is at 2 since its
 * ghost state is hashed from its fields instead of its JSON text (state-key.ts `ghostPrint`).
 */
export function fingerprintVersion(recipe: ModelRecipe): number {
  return recipe.model === 'replication' ? 2 : 1;
}
