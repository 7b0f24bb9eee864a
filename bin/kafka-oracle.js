#!/usr/bin/env node
// The `kafka-oracle` command. The sources are TypeScript run through tsx, so the command
// works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

// A reader that stops early (`kafka-oracle check | head`) is not an error: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
