/**
 * The config file plus the environment, env winning; a bad file or value is a clear error.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadConfig } from '../src/load-config.js';

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-cfg-'));
  writeFileSync(join(dir, 'scaigrid.yaml'), text);
  return join(dir, 'scaigrid.yaml');
}

it('reads the YAML file and lets SCAIGRID_* env override it', () => {
  const path = file('database: sqlite:./a.db\nredis: redis://file:6379\nserver:\n  port: 9000\n  host: 0.0.0.0\nconfig:\n  hello:\n    greeting: Hey\n');
  const { config, baseDir } = loadConfig({ SCAIGRID_CONFIG: path, SCAIGRID_REDIS_URL: 'redis://env:6379', SCAIGRID_PORT: '9100' });
  expect(config.database).toBe('sqlite:./a.db');
  expect(config.redis).toBe('redis://env:6379');
  expect(config.server.port).toBe(9100);
  expect(config.server.host).toBe('0.0.0.0');
  expect(config.config).toEqual({ hello: { greeting: 'Hey' } });
  expect(baseDir).toBe(join(path, '..'));
});

it('uses the built-in quick-start config without SCAIGRID_CONFIG', () => {
  const { config } = loadConfig({});
  expect(config.database).toBe('sqlite:./data/scaigrid.db');
  expect(config.redis).toBe('memory://');
  expect(config.server.port).toBe(8080);
});

it('names the bad field of an invalid config', () => {
  const path = file('server:\n  port: not-a-port\n');
  expect(() => loadConfig({ SCAIGRID_CONFIG: path })).toThrow(/\[CONFIG_INVALID\][\s\S]*server\.port/);
});

it('names a missing config file', () => {
  expect(() => loadConfig({ SCAIGRID_CONFIG: '/nonexistent/scaigrid.yaml' })).toThrow(/Cannot read config file \/nonexistent\/scaigrid\.yaml/);
});
