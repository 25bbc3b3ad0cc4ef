/**
 * @module model-record
 * A model as routing keeps it (in the database and in the in-memory catalog), its conversion
 * from validated input, and its admin-API view (prices back as exact decimal strings).
 */
import { formatPriceMicros, parsePriceMicros } from './money.js';
import type { BackendInput, ModelInput } from './model-schema.js';

export interface StoredBackend {
  id: string;
  providerId: string;
  upstreamModel: string;
  priority: number;
  weight: number;
  /** Micro-units of the model currency per million input tokens. */
  inputMicros: number;
  outputMicros: number;
  contextWindow?: number;
  options: Record<string, unknown>;
}

export interface StoredModel {
  id: string;
  slug: string;
  kind: 'chat' | 'embedding';
  policy: 'weighted' | 'priority';
  currency: string;
  metadata: Record<string, unknown>;
  visibility: string[];
  backends: StoredBackend[];
  createdAt: number;
  updatedAt: number;
}

/** What a write wants the model to look like; backend ids only when the writer named them. */
export type DesiredBackend = Omit<StoredBackend, 'id'> & { id?: string };
export type DesiredModel = Omit<StoredModel, 'id' | 'createdAt' | 'updatedAt' | 'backends'> & { backends: DesiredBackend[] };

export function desiredBackend(input: BackendInput): DesiredBackend {
  return {
    id: input.id,
    providerId: input.providerId,
    upstreamModel: input.upstreamModel,
    priority: input.priority,
    weight: input.weight,
    // The schema refined both prices, so parsing cannot fail here.
    inputMicros: parsePriceMicros(input.inputPricePerMillion)!,
    outputMicros: parsePriceMicros(input.outputPricePerMillion)!,
    contextWindow: input.contextWindow,
    options: input.options,
  };
}

export function desiredModel(input: ModelInput): DesiredModel {
  return {
    slug: input.slug,
    kind: input.kind,
    policy: input.policy,
    currency: input.currency,
    metadata: input.metadata,
    visibility: [...new Set(input.visibility)],
    backends: input.backends.map(desiredBackend),
  };
}

export interface BackendView {
  id: string;
  providerId: string;
  upstreamModel: string;
  priority: number;
  weight: number;
  inputPricePerMillion: string;
  outputPricePerMillion: string;
  contextWindow: number | null;
  options: Record<string, unknown>;
}

export interface ModelView {
  id: string;
  slug: string;
  kind: 'chat' | 'embedding';
  policy: 'weighted' | 'priority';
  currency: string;
  metadata: Record<string, unknown>;
  visibility: string[];
  backends: BackendView[];
  createdAt: number;
  updatedAt: number;
}

/** The admin API's JSON for a model. */
export function modelView(model: StoredModel): ModelView {
  return {
    id: model.id,
    slug: model.slug,
    kind: model.kind,
    policy: model.policy,
    currency: model.currency,
    metadata: model.metadata,
    visibility: model.visibility,
    backends: model.backends.map((b) => ({
      id: b.id,
      providerId: b.providerId,
      upstreamModel: b.upstreamModel,
      priority: b.priority,
      weight: b.weight,
      inputPricePerMillion: formatPriceMicros(b.inputMicros),
      outputPricePerMillion: formatPriceMicros(b.outputMicros),
      contextWindow: b.contextWindow ?? null,
      options: b.options,
    })),
    createdAt: model.createdAt,
    updatedAt: model.updatedAt,
  };
}
