/**
 * spec/transactions.md and spec/groups.md embed generated diagrams and tables between
 * `<!-- generated:NAME -->` and `<!-- end:NAME -->`. This test fails when they differ from
 * what the code generates now; `UPDATE_SPEC=1 npx vitest run test/machines/spec-docs.test.ts`
 * rewrites the blocks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toMermaid } from '../../src/cli/diagram.ts';
import { consumerMachine } from '../../src/machines/consumer.ts';
import { groupCoordinatorMachine } from '../../src/machines/group-coordinator.ts';
import { groupOutcomeMarkdown, groupStateDiagram } from '../../src/machines/group-state.ts';
import { txnCoordinatorMachine } from '../../src/machines/txn-coordinator.ts';
import { txnProducerMachine } from '../../src/machines/txn-producer.ts';
import { transactionStateDiagram, txnOutcomeMarkdown } from '../../src/machines/txn-state.ts';

const mermaid = (text: string): string => `\`\`\`mermaid\n${text}\n\`\`\``;

const DOCS: Record<string, Record<string, () => string>> = {
  'spec/transactions.md': {
    'transaction-states': () => mermaid(transactionStateDiagram()),
    'outcomes-tv1': () => txnOutcomeMarkdown(1),
    'outcomes-tv2': () => txnOutcomeMarkdown(2),
    'diagram-txn-coordinator': () => mermaid(toMermaid(txnCoordinatorMachine)),
    'diagram-txn-producer': () => mermaid(toMermaid(txnProducerMachine)),
  },
  'spec/groups.md': {
    'group-states': () => mermaid(groupStateDiagram()),
    'group-outcomes': () => groupOutcomeMarkdown(),
    'diagram-group-coordinator': () => mermaid(toMermaid(groupCoordinatorMachine)),
    'diagram-consumer': () => mermaid(toMermaid(consumerMachine)),
  },
};

function fill(text: string, name: string, block: string): string {
  const start = `<!-- generated:${name} -->`;
  const end = `<!-- end:${name} -->`;
  const at = text.indexOf(start);
  if (at < 0) throw new Error(`no marker ${start}`);
  const stop = text.indexOf(end, at);
  const tail = stop < 0 ? text.slice(at + start.length) : text.slice(stop + end.length);
  return `${text.slice(0, at)}${start}\n${block}\n${end}${tail}`;
}

describe('spec pages embed what the code generates', () => {
  for (const [file, blocks] of Object.entries(DOCS)) {
    it(file, () => {
      const text = readFileSync(file, 'utf8');
      let expected = text;
      for (const [name, generate] of Object.entries(blocks)) expected = fill(expected, name, generate());
      if (process.env['UPDATE_SPEC'] === '1' && expected !== text) writeFileSync(file, expected);
      else expect(text).toBe(expected);
    });
  }
});

it('twin: a page whose generated block was edited by hand is caught', () => {
  const text = readFileSync('spec/transactions.md', 'utf8').replace('PrepareEpochFence --> PrepareAbort', 'PrepareEpochFence --> PrepareCommit');
  const regenerated = fill(text, 'transaction-states', mermaid(transactionStateDiagram()));
  expect(regenerated).not.toBe(text);
});
