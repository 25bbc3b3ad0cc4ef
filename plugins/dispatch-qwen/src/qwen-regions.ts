/**
 * @module qwen-regions
 * DashScope's OpenAI-compatible endpoints by region ("Alibaba Cloud Model Studio — OpenAI
 * compatible — Chat": base_url per region). A key works only in the region that issued it,
 * so the region is part of the provider's identity, not a routing choice.
 */
export const QWEN_REGIONS = ['intl', 'cn', 'us'] as const;
export type QwenRegion = (typeof QWEN_REGIONS)[number];

export const QWEN_BASE_URLS: Readonly<Record<QwenRegion, string>> = Object.freeze({
  intl: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1',
  cn: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
  us: 'https://dashscope-us.aliyuncs.com/compatible-mode/v1',
});

export function isQwenRegion(value: unknown): value is QwenRegion {
  return typeof value === 'string' && (QWEN_REGIONS as readonly string[]).includes(value);
}
