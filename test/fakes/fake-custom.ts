/**
 * @module fake-custom
 * A fake self-hosted OpenAI-compatible server (vLLM, LocalAI, a corporate proxy...) on
 * 127.0.0.1 port 0, built on fake-openai.ts: the OpenAI wire format under paths and an auth
 * header of the test's choosing, since such servers differ exactly there — e.g. vLLM behind a
 * proxy that wants `X-API-Key: <key>`, or Django-style `Authorization: Token <key>`.
 */
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';

export interface FakeCustomOptions {
  /** Header that must carry the key (lower-case), and its exact expected value. Omit for no auth. */
  auth?: { header: string; value: string };
  /** Origin-relative paths. Default `/v1/chat/completions` and `/v1/embeddings`. */
  chatPath?: string;
  embeddingsPath?: string;
}

export async function startFakeCustom(options: FakeCustomOptions = {}): Promise<FakeOpenAI> {
  const chatPath = options.chatPath ?? '/v1/chat/completions';
  const embeddingsPath = options.embeddingsPath ?? '/v1/embeddings';
  return startFakeOpenAI({
    basePath: '',
    route: (path) => (path === chatPath ? 'chat' : path === embeddingsPath ? 'embeddings' : undefined),
    checkAuth(request) {
      const { auth } = options;
      if (!auth || request.headers[auth.header] === auth.value) return undefined;
      return { status: 401, message: `missing or wrong ${auth.header}`, type: 'authentication_error' };
    },
  });
}
