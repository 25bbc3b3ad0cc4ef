/**
 * @module fake-azure
 * A fake Azure OpenAI endpoint on 127.0.0.1 port 0, built on fake-openai.ts and written from
 * "Azure OpenAI in Azure AI Foundry Models REST API reference — Chat completions" and
 * "— Embeddings" (`POST /openai/deployments/{deployment-id}/chat/completions?api-version=…`,
 * auth by `api-key` header or `Authorization: Bearer <Microsoft Entra ID token>`), and from
 * "Content filtering — Response annotations": every completion carries
 * `prompt_filter_results` and per-choice `content_filter_results`; a filtered answer has
 * `finish_reason: "content_filter"` and `filtered: true`; streams open with a `choices: []`
 * chunk holding the prompt results. Errors use Azure's envelope `{ error: { code, message } }`
 * with the status as a string code (`"429"`), and the prompt filter's 400 carries
 * `code: "content_filter"` with an `innererror`.
 *
 * @example
 * const fake = await startFakeAzure({ apiKey: 'az-key', deployments: ['gpt4o-prod'] });
 * // provider baseUrl: fake.url (the resource endpoint); assert fake.requests[0].path
 */
import type { RecordedRequest } from './fake-http.js';
import { startFakeOpenAI, type FakeAnswer, type FakeOpenAI, type FakeOpenAIError, type FakeOpenAIReply } from './fake-openai.js';

export interface FakeAzureOptions {
  /** Accepted in the `api-key` header. */
  apiKey?: string;
  /** Accepted as `Authorization: Bearer <token>` (an Entra ID token). */
  bearerToken?: string;
  /** Deployment names that exist; others get DeploymentNotFound. Default: any. */
  deployments?: string[];
  defaultReply?: FakeOpenAIReply;
}

const CATEGORIES = ['hate', 'self_harm', 'sexual', 'violence'] as const;
const DEPLOYMENT_PATH = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;

/** The prompt that the fake's prompt filter blocks (Azure answers it with a 400). */
export const AZURE_BLOCKED_PROMPT = 'please write something hateful';

/** `content_filter_results` with every category safe, or `category` filtered at `severity`. */
export function azureFilterResults(category?: (typeof CATEGORIES)[number], severity = 'high') {
  return Object.fromEntries(CATEGORIES.map((c) => [c, c === category ? { filtered: true, severity } : { filtered: false, severity: 'safe' }]));
}

export async function startFakeAzure(options: FakeAzureOptions = {}): Promise<FakeOpenAI> {
  const promptResults = [{ prompt_index: 0, content_filter_results: azureFilterResults() }];
  const choiceResults = (reply: FakeAnswer) => (reply.finishReason === 'content_filter' ? azureFilterResults('violence', 'medium') : azureFilterResults());
  return startFakeOpenAI({
    basePath: '',
    defaultReply: options.defaultReply,
    route(path, query) {
      const match = DEPLOYMENT_PATH.exec(path);
      // Without api-version Azure answers 404 "Resource not found" — as for an unknown path.
      if (!match || !query.get('api-version')) return undefined;
      if (options.deployments && !options.deployments.includes(decodeURIComponent(match[1]))) return undefined;
      return match[2] === 'embeddings' ? 'embeddings' : 'chat';
    },
    checkAuth: (request) => azureAuth(request, options),
    checkRequest(request) {
      const prompt = JSON.stringify(request.body.messages ?? request.body.input ?? '');
      if (!prompt.includes(AZURE_BLOCKED_PROMPT)) return undefined;
      return { status: 400, code: 'content_filter', message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry." };
    },
    errorBody(error) {
      const body: Record<string, unknown> = { code: error.code ?? errorCode(error.status), message: error.message };
      if (error.code === 'content_filter') {
        Object.assign(body, { param: 'prompt', type: null, status: 400, innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: azureFilterResults('hate') } });
      }
      return { error: body };
    },
    decorateCompletion(completion, reply) {
      completion.prompt_filter_results = promptResults;
      completion.choices[0].content_filter_results = choiceResults(reply);
    },
    decorateChunk(chunk) {
      // The filter annotates every chunk; only the one it cut carries filtered:true.
      const choice = chunk.choices[0];
      if (choice) choice.content_filter_results = choice.finish_reason === 'content_filter' ? azureFilterResults('violence', 'medium') : azureFilterResults();
    },
    streamPrelude: () => [{ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: promptResults }],
  });
}

function azureAuth(request: RecordedRequest, options: FakeAzureOptions): FakeOpenAIError | undefined {
  if (options.apiKey === undefined && options.bearerToken === undefined) return undefined;
  if (options.apiKey !== undefined && request.headers['api-key'] === options.apiKey) return undefined;
  if (options.bearerToken !== undefined && request.headers.authorization === `Bearer ${options.bearerToken}`) return undefined;
  return {
    status: 401,
    message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
  };
}

function errorCode(status: number): string {
  if (status === 404) return '404';
  if (status >= 500) return 'InternalServerError';
  return String(status);
}
