/**
 * @module http/contributions
 * What modules contribute to the HTTP host during setup, collected by the kernel and read
 * once when the app is built. Mount collisions are detected as they are claimed.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import type { ErrorRenderer, MiddlewarePhase } from '../context.js';
import type { BootProblem } from '../errors.js';

export interface MiddlewareContribution {
  moduleId: string;
  phase: MiddlewarePhase;
  path: string;
  handler: MiddlewareHandler;
}

export interface MountContribution {
  moduleId: string;
  path: string;
  app: Hono;
  renderError?: ErrorRenderer;
}

const RESERVED_PATHS = ['/health', '/ready', '/v1/modules'];

export class HttpContributions {
  readonly middleware: MiddlewareContribution[] = [];
  readonly mounts: MountContribution[] = [];
  readonly moduleRoutes = new Map<string, Hono>();
  readonly problems: BootProblem[] = [];

  addMount(mount: MountContribution): void {
    const path = normalizeMountPath(mount.path);
    const reserved = RESERVED_PATHS.find((r) => path === r || path.startsWith(`${r}/`));
    if (reserved) {
      this.problems.push({
        code: 'ROUTE_MOUNT_COLLISION',
        moduleId: mount.moduleId,
        message: `Module '${mount.moduleId}' claims '${path}', which belongs to the kernel (${reserved}). Use ctx.routes for /v1/modules/${mount.moduleId}/ or another path.`,
      });
      return;
    }
    const taken = this.mounts.find((m) => m.path === path);
    if (taken) {
      this.problems.push({
        code: 'ROUTE_MOUNT_COLLISION',
        moduleId: mount.moduleId,
        message: `Modules '${taken.moduleId}' and '${mount.moduleId}' both claim the mount '${path}'. Remove one of them or change one path.`,
      });
      return;
    }
    this.mounts.push({ ...mount, path });
  }
}

export function normalizeMountPath(path: string): string {
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, '') : withSlash;
}
