/**
 * @module scaiinfer-dispatcher
 * The `scaiinfer` provider kind: ScaiInfer inference servers speak OpenAI's wire format, so
 * this is dispatch-openai's dispatcher addressed per node. A node is a routing backend whose
 * options carry the node's URL (`nodeUrl`); the provider's `baseUrl` serves backends written
 * by hand without one.
 */
import type { DispatchCall, Dispatcher } from '@scaigrid/plugin-dispatch';
import { createOpenAICompatibleDispatcher, joinUrl, type OpenAIApiPath } from '@scaigrid/plugin-dispatch-openai';

/** Backend option keys a node backend carries. */
export const NODE_ID_OPTION = 'scaiinferNode';
export const NODE_URL_OPTION = 'nodeUrl';

export function scaiInferUrl(call: DispatchCall, path: OpenAIApiPath): string {
  const nodeUrl = call.target.options[NODE_URL_OPTION];
  return joinUrl(typeof nodeUrl === 'string' && nodeUrl !== '' ? nodeUrl : call.target.provider.baseUrl, path);
}

export function createScaiInferDispatcher(): Dispatcher {
  return createOpenAICompatibleDispatcher({ kind: 'scaiinfer', maxTokensField: 'max_tokens', buildUrl: scaiInferUrl });
}
