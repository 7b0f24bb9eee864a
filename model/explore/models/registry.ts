/**
 * Models by name, built from a plain recipe: what the parallel explorer sends each worker
 * thread so that it builds the same model (same initial state, same deterministic actions).
 */
import type { Variant } from '../../../src/protocol/config.ts';
import type { ExploreModel } from '../bfs.ts';
import { type ReplicationBounds, replicationModel } from './replication.ts';

export interface ReplicationRecipe {
  readonly model: 'replication';
  readonly bounds: ReplicationBounds;
  readonly variant: Variant | null;
}

export type ModelRecipe = ReplicationRecipe;

export function buildModel(recipe: ModelRecipe): ExploreModel<unknown, unknown> {
  switch (recipe.model) {
    case 'replication':
      return replicationModel(recipe.bounds, recipe.variant) as unknown as ExploreModel<unknown, unknown>;
  }
}
