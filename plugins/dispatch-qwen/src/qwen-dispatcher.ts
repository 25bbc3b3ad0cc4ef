/**
 * @module qwen-dispatcher
 * The `qwen` provider kind: Alibaba Cloud Model Studio (DashScope) in OpenAI-compatible mode.
 * The wire format is OpenAI's, so this is dispatch-openai's dispatcher with two hooks: the
 * base URL (the provider's `baseUrl`, else its region's endpoint) and Qwen's thinking switches
 * (`enable_thinking`, `thinking_budget`, from backend or provider options unless the request
 * carries its own). The reasoning Qwen returns in `reasoning_content` (message and deltas)
 * already becomes reasoning blocks and chunks in dispatch-openai's mappers.
 */
import type { ChatRequest, DispatchCall, Dispatcher } from '@scaigrid/plugin-dispatch';
import { createOpenAICompatibleDispatcher, joinUrl, providerOption, type OpenAIApiPath, type OpenAIChatBody } from '@scaigrid/plugin-dispatch-openai';
import { isQwenRegion, QWEN_BASE_URLS, type QwenRegion } from './qwen-regions.js';

/** The provider's `baseUrl` when set (a proxy, a test), else the endpoint of option `region` (default: the module's). */
export function qwenBaseUrl(call: DispatchCall, defaultRegion: QwenRegion): string {
  if (call.target.provider.baseUrl) return call.target.provider.baseUrl;
  const region = providerOption(call, 'region');
  return QWEN_BASE_URLS[isQwenRegion(region) ? region : defaultRegion];
}

/** Adds `enable_thinking`/`thinking_budget` from options `enableThinking`/`thinkingBudget`; the request's own `extra` wins. */
export function withQwenThinking(body: OpenAIChatBody, request: ChatRequest, call: DispatchCall): OpenAIChatBody {
  const out: OpenAIChatBody = { ...body };
  const enable = providerOption(call, 'enableThinking');
  if (typeof enable === 'boolean' && request.extra?.enable_thinking === undefined) out.enable_thinking = enable;
  const budget = providerOption(call, 'thinkingBudget');
  if (typeof budget === 'number' && request.extra?.thinking_budget === undefined) out.thinking_budget = budget;
  return out;
}

export function createQwenDispatcher(defaults: { region: QwenRegion }): Dispatcher {
  return createOpenAICompatibleDispatcher({
    kind: 'qwen',
    // DashScope knows max_tokens only.
    maxTokensField: 'max_tokens',
    buildUrl: (call, path: OpenAIApiPath) => joinUrl(qwenBaseUrl(call, defaults.region), path),
    mapRequestBody: withQwenThinking,
  });
}
