/**
 * @module node-registry
 * ScaiInfer nodes, added and removed while the gateway runs. A node is not stored here: it is
 * the set of routing backends (one per model it serves) tagged with its id and URL, so the
 * routing plugin persists it, broadcasts the change and every instance's route cache picks
 * it up — a new node serves the next request, a removed one gets no more. The admin API
 * drives it today; the gRPC heartbeat service will call the same methods.
 */
import { GatewayError, serviceRef } from '@scaigrid/kernel';
import type { BackendView, RoutingAdmin } from '@scaigrid/plugin-routing';
import { z } from 'zod';
import { NODE_ID_OPTION, NODE_URL_OPTION } from './scaiinfer-dispatcher.js';

export const nodeInputSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1-64 of lowercase letters, digits, . _ - (e.g. gpu-node-7)').describe('Node id, unique.'),
    url: z.url({ protocol: /^https?$/ }).describe("The node's OpenAI-compatible base URL, e.g. http://10.0.0.7:8000/v1."),
    models: z
      .array(
        z.object({
          slug: z.string().min(1).max(128).describe('Frontend model the node serves (must exist in routing).'),
          upstreamModel: z.string().min(1).max(255).optional().describe("The node's model id; default: the slug."),
          weight: z.number().int().min(0).max(1_000_000).default(1),
          priority: z.number().int().min(0).max(1_000_000).default(0),
          inputPricePerMillion: z.union([z.string(), z.number()]).optional(),
          outputPricePerMillion: z.union([z.string(), z.number()]).optional(),
        }),
      )
      .min(1, 'a node serves at least one model')
      .max(64),
  })
  .strict();

export type NodeInput = z.input<typeof nodeInputSchema>;

export interface NodeView {
  id: string;
  url: string;
  models: Array<{ slug: string; backendId: string; upstreamModel: string; weight: number; priority: number }>;
}

export interface ScaiInferNodes {
  list(): NodeView[];
  /** CONFLICT when the id is taken, NOT_FOUND when a model does not exist (nothing is added then). */
  add(input: NodeInput): Promise<NodeView>;
  /** NOT_FOUND when no model has a backend of the node. */
  remove(id: string): Promise<void>;
}

export const scaiInferNodesRef = serviceRef<ScaiInferNodes>('dispatch-scaiinfer.nodes');

export class NodeRegistry implements ScaiInferNodes {
  constructor(
    private readonly routing: RoutingAdmin,
    private readonly providerId: string,
  ) {}

  list(): NodeView[] {
    const nodes = new Map<string, NodeView>();
    for (const model of this.routing.models()) {
      for (const backend of model.backends) {
        const id = this.nodeOf(backend);
        if (id === undefined) continue;
        const node = nodes.get(id) ?? { id, url: String(backend.options[NODE_URL_OPTION] ?? ''), models: [] };
        node.models.push({ slug: model.slug, backendId: backend.id, upstreamModel: backend.upstreamModel, weight: backend.weight, priority: backend.priority });
        nodes.set(id, node);
      }
    }
    return [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  async add(raw: NodeInput): Promise<NodeView> {
    const parsed = nodeInputSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GatewayError('VALIDATION_ERROR', `Invalid node: '${issue.path.join('.')}': ${issue.message}`);
    }
    const input = parsed.data;
    if (this.list().some((n) => n.id === input.id)) {
      throw new GatewayError('CONFLICT', `ScaiInfer node '${input.id}' already exists; remove it first (DELETE /v1/admin/scaiinfer/nodes/${input.id}).`);
    }
    const known = new Set(this.routing.models().map((m) => m.slug));
    const missing = input.models.map((m) => m.slug).filter((slug) => !known.has(slug));
    if (missing.length > 0) throw new GatewayError('NOT_FOUND', `Model(s) ${missing.map((s) => `'${s}'`).join(', ')} not found; create them under /v1/admin/models first.`);

    const view: NodeView = { id: input.id, url: input.url, models: [] };
    for (const model of input.models) {
      const backend = await this.routing.addBackend(model.slug, {
        providerId: this.providerId,
        upstreamModel: model.upstreamModel ?? model.slug,
        weight: model.weight,
        priority: model.priority,
        inputPricePerMillion: model.inputPricePerMillion,
        outputPricePerMillion: model.outputPricePerMillion,
        options: { [NODE_ID_OPTION]: input.id, [NODE_URL_OPTION]: input.url },
      });
      view.models.push({ slug: model.slug, backendId: backend.id, upstreamModel: backend.upstreamModel, weight: backend.weight, priority: backend.priority });
    }
    return view;
  }

  async remove(id: string): Promise<void> {
    const node = this.list().find((n) => n.id === id);
    if (!node) throw new GatewayError('NOT_FOUND', `ScaiInfer node '${id}' not found.`);
    for (const model of node.models) await this.routing.removeBackend(model.slug, model.backendId);
  }

  private nodeOf(backend: BackendView): string | undefined {
    const id = backend.options[NODE_ID_OPTION];
    return backend.providerId === this.providerId && typeof id === 'string' ? id : undefined;
  }
}
