/**
 * @module main
 * The `scaigrid` process: picks the mode from argv or SCAIGRID_MODE, and on SIGTERM/SIGINT
 * drains and stops before exiting.
 */
import { run } from './run.js';

const code = await run({
  argv: process.argv.slice(2),
  env: process.env,
  print: (line) => process.stdout.write(`${line}\n`),
  onServing(stop) {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`${signal}: draining\n`);
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  },
});
if (code >= 0) process.exit(code);
