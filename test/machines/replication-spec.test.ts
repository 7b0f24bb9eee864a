/**
 * spec/replication.md embeds the Mermaid diagrams `kafka-oracle diagram` generates from
 * the replica, controller, broker and producer machines, between `<!-- generated:NAME -->`
 * and `<!-- end:NAME -->`. This test fails when they differ from what the code generates
 * now; `UPDATE_SPEC=1 npx vitest run test/machines/replication-spec.test.ts` rewrites them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { toMermaid } from '../../src/cli/diagram.ts';
import { brokerMachine } from '../../src/machines/broker.ts';
import { controllerMachine } from '../../src/machines/controller.ts';
import { producerMachine } from '../../src/machines/producer.ts';
import { replicaMachine } from '../../src/machines/replica.ts';

const FILE = 'spec/replication.md';
const BLOCKS: Record<string, () => string> = {
  'diagram-replica': () => toMermaid(replicaMachine),
  'diagram-controller': () => toMermaid(controllerMachine),
  'diagram-broker': () => toMermaid(brokerMachine),
  'diagram-producer': () => toMermaid(producerMachine),
};

function fill(text: string, name: string, diagram: string): string {
  const start = `<!-- generated:${name} -->`;
  const end = `<!-- end:${name} -->`;
  const at = text.indexOf(start);
  const stop = text.indexOf(end, at);
  if (at < 0 || stop < 0) throw new Error(`${FILE}: no ${start} ... ${end} block`);
  return `${text.slice(0, at)}${start}\n\`\`\`mermaid\n${diagram}\n\`\`\`\n${text.slice(stop)}`;
}

function regenerate(text: string): string {
  let result = text;
  for (const [name, generate] of Object.entries(BLOCKS)) result = fill(result, name, generate());
  return result;
}

it('spec/replication.md embeds the diagrams generated from the machines', () => {
  const text = readFileSync(FILE, 'utf8');
  const expected = regenerate(text);
  if (process.env['UPDATE_SPEC'] === '1' && expected !== text) writeFileSync(FILE, expected);
  else expect(text).toBe(expected);
});

it('twin: a diagram edited by hand is caught', () => {
  const text = readFileSync(FILE, 'utf8').replace('[*] --> unassigned', '[*] --> leader');
  expect(text).not.toBe(readFileSync(FILE, 'utf8'));
  expect(regenerate(text)).not.toBe(text);
});
