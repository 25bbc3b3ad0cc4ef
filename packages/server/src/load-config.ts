/**
 * @module load-config
 * Reads the gateway's configuration: the YAML file named by `SCAIGRID_CONFIG` (or the
 * built-in quick-start config), then the SCAIGRID_* environment on top (env wins). Relative
 * module paths resolve from the config file's directory.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { applyEnv, parseKernelConfig, type KernelConfig } from '@scaigrid/kernel';

export const DEFAULT_CONFIG_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../config/default.yaml');

export interface LoadedConfig {
  config: KernelConfig;
  /** Directory modules are resolved from. */
  baseDir: string;
  file: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const file = env.SCAIGRID_CONFIG ? resolve(env.SCAIGRID_CONFIG) : DEFAULT_CONFIG_FILE;
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new Error(`[CONFIG_INVALID] Cannot read config file ${file}: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`[CONFIG_INVALID] ${file} must hold a YAML mapping at the top level.`);
  }
  const config = parseKernelConfig(applyEnv(raw as Record<string, unknown>, env));
  return { config, baseDir: dirname(file), file };
}
