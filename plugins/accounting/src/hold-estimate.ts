/**
 * @module hold-estimate
 * The worst case a request may cost, which its hold reserves before dispatch: the estimated
 * prompt tokens plus the most output it may produce (the request's max_tokens, else the
 * backend's context window, else a configured default), priced at the most expensive of the
 * candidate backends, since failover may land on any of them.
 */
import type { InferenceContext } from '@scaigrid/plugin-inference';
import type { AccountingConfig } from './config.js';
import { costMicros } from './money.js';

/** Providers bill an image at hundreds to a few thousand tokens; reserve for the high end. */
const TOKENS_PER_IMAGE = 1600;

export function estimatePromptTokens(ctx: InferenceContext, hold: AccountingConfig['hold']): number {
  if (ctx.kind === 'embedding') {
    const chars = ctx.request.input.reduce((sum, text) => sum + text.length, 0);
    return Math.ceil(chars / hold.charsPerToken) + hold.tokensPerMessage * ctx.request.input.length;
  }
  let chars = 0;
  let images = 0;
  for (const message of ctx.request.messages) {
    for (const block of message.content) {
      if (block.type === 'image') images++;
      else chars += block.text.length;
    }
    for (const call of message.toolCalls ?? []) chars += call.name.length + call.arguments.length;
  }
  for (const tool of ctx.request.tools ?? []) chars += JSON.stringify(tool).length;
  return Math.ceil(chars / hold.charsPerToken) + hold.tokensPerMessage * ctx.request.messages.length + TOKENS_PER_IMAGE * images;
}

/** The hold in micro-units of the route's currency. */
export function worstCaseMicros(ctx: InferenceContext, hold: AccountingConfig['hold']): number {
  const promptTokens = estimatePromptTokens(ctx, hold);
  let worst = 0;
  for (const backend of ctx.route.backends) {
    const maxOutput = ctx.kind === 'chat' ? (ctx.request.maxTokens ?? backend.contextWindow ?? hold.defaultMaxOutputTokens) : 0;
    worst = Math.max(worst, costMicros(promptTokens, maxOutput, backend));
  }
  return worst;
}
