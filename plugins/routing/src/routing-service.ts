/**
 * @module routing-service
 * The routing plugin's service (`routing.service`): a frontend model slug and a caller to
 * the ordered list of backends to try.
 */
import { serviceRef } from '@scaigrid/kernel';
import type { Caller } from '@scaigrid/plugin-auth';

export interface Backend {
  id: string;
  providerId: string;
  /** The upstream's model id. */
  upstreamModel: string;
  priority: number;
  weight: number;
  /** Price per million input (prompt) tokens, in `currency` (for display; bill with the micros). */
  inputPricePerMillion: number;
  outputPricePerMillion: number;
  /**
   * Exact prices: integer micro-units of `currency` per million tokens. The cost of a call in
   * pico-units (1e-12 of the currency) is `promptTokens * inputMicrosPerMillion +
   * completionTokens * outputMicrosPerMillion`, an exact integer.
   */
  inputMicrosPerMillion: number;
  outputMicrosPerMillion: number;
  contextWindow?: number;
  /** Backend-level dispatcher options (e.g. Azure deployment, api-version). */
  options: Record<string, unknown>;
}

export interface ModelRoute {
  slug: string;
  policy: 'weighted' | 'priority';
  currency: string;
  /** Which request kinds the model serves. */
  kind: 'chat' | 'embedding';
  /** Free-form, module-readable settings (e.g. prompts' persona/safety prefix). */
  metadata: Record<string, unknown>;
  /** Candidates in the order to try: weighted pick first, or by priority. */
  backends: Backend[];
}

export interface ModelInfo {
  slug: string;
  kind: 'chat' | 'embedding';
  createdAt: number;
}

export interface RoutingService {
  /** Throws MODEL_NOT_FOUND (404) when the slug is unknown or not visible to the caller. */
  resolve(slug: string, caller: Caller | undefined): ModelRoute;
  /** Models the caller may use. */
  listModels(caller: Caller | undefined): ModelInfo[];
}

export const routingServiceRef = serviceRef<RoutingService>('routing.service');
