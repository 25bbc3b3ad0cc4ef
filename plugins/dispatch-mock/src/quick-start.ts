/**
 * @module quick-start
 * The config sections that make a fresh checkout answer with no keys and no network: a
 * `mock` provider and the models `echo` (chat) and `echo-embed` (embeddings) on it, at zero
 * price. The server's default config can spread these in; quick-start.yaml holds the same.
 */

export const MOCK_PROVIDER_ID = 'mock';

export const mockQuickStartConfig = Object.freeze({
  dispatch: {
    providers: [{ id: MOCK_PROVIDER_ID, kind: 'mock' }],
  },
  routing: {
    models: [
      { slug: 'echo', kind: 'chat', backends: [{ providerId: MOCK_PROVIDER_ID, upstreamModel: 'echo', inputPricePerMillion: '0', outputPricePerMillion: '0', contextWindow: 32768 }] },
      { slug: 'echo-embed', kind: 'embedding', backends: [{ providerId: MOCK_PROVIDER_ID, upstreamModel: 'echo-embed' }] },
    ],
  },
});
