/**
 * @module gemini-request
 * Pure mapping from the normalized ChatRequest to the body of Gemini's `generateContent`
 * (Gemini API reference — "models.generateContent", "Function calling"). What shapes it:
 * system messages become `systemInstruction`; turns are `user`/`model` contents of parts, so
 * consecutive same-role messages merge; an assistant's tool calls are `functionCall` parts
 * whose args are objects; tool results are `functionResponse` parts in a user content,
 * matched to their call by function name, since Gemini's calls usually carry no id (the name
 * comes from the assistant message that made the call); sampling settings live in
 * `generationConfig`; tool and response schemas are the API's Schema subset (gemini-schema).
 */
import { GatewayError } from '@scaigrid/kernel';
import type { ChatMessage, ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '@scaigrid/plugin-dispatch';
import type {
  GeminiContent,
  GeminiFunctionDeclaration,
  GeminiGenerateContentBody,
  GeminiGenerationConfig,
  GeminiPart,
  GeminiToolConfig,
} from './gemini-wire.js';
import { toGeminiSchema } from './gemini-schema.js';
import { isSyntheticCallId } from './gemini-response.js';

export interface GeminiBodyOptions {
  /** Send schemas as full JSON Schema (`parametersJsonSchema`, `responseJsonSchema`) instead of the sanitized Schema subset. */
  rawJsonSchema?: boolean;
  /** `safetySettings` for every request of the provider (SafetySetting objects, passed as given). */
  safetySettings?: unknown[];
}

/** Thinking budgets for OpenAI's `reasoning_effort`, as Gemini's own OpenAI compatibility layer maps them. */
const THINKING_BUDGET: Record<string, number> = { none: 0, minimal: 0, low: 1024, medium: 8192, high: 24576 };

/**
 * @example toGeminiBody({ model: 'gemini-2.5-flash', messages: [
 *   { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
 *   { role: 'user', content: [{ type: 'text', text: 'Hi' }] }] })
 * // → { systemInstruction: { parts: [{ text: 'Be brief.' }] }, contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }
 */
export function toGeminiBody(request: ChatRequest, options: GeminiBodyOptions = {}): GeminiGenerateContentBody {
  const system: Array<{ text: string }> = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  request.messages.forEach((message, index) => {
    if (message.role === 'system') {
      for (const block of message.content) if (block.type === 'text' && block.text !== '') system.push({ text: block.text });
      return;
    }
    for (const call of message.toolCalls ?? []) callNames.set(call.id, call.name);
    const parts = message.role === 'tool' ? [functionResponsePart(message, index, callNames)] : messageParts(message, index);
    if (parts.length === 0) return;
    const role = message.role === 'assistant' ? 'model' : 'user';
    const previous = contents.at(-1);
    if (previous?.role === role) previous.parts.push(...parts);
    else contents.push({ role, parts });
  });

  const body: GeminiGenerateContentBody = { contents };
  if (system.length > 0) body.systemInstruction = { parts: system };
  if (request.tools?.length) {
    body.tools = [{ functionDeclarations: request.tools.map((tool) => toFunctionDeclaration(tool, options)) }];
    if (request.toolChoice !== undefined) body.toolConfig = toToolConfig(request.toolChoice);
  }
  const generationConfig = toGenerationConfig(request, options);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  const safetySettings = Array.isArray(request.extra?.safetySettings) ? request.extra.safetySettings : options.safetySettings;
  if (safetySettings?.length) body.safetySettings = safetySettings;
  if (typeof request.extra?.cachedContent === 'string') body.cachedContent = request.extra.cachedContent;
  return body;
}

function messageParts(message: ChatMessage, index: number): GeminiPart[] {
  const parts: GeminiPart[] = [];
  for (const block of message.content) {
    if (block.type === 'text' && block.text !== '') parts.push({ text: block.text });
    else if (block.type === 'image') parts.push(imagePart(block.url));
    // Reasoning is not sent back: Gemini keeps its thoughts to itself (thought signatures aside).
  }
  (message.toolCalls ?? []).forEach((call, callIndex) => {
    const functionCall: { name: string; args: Record<string, unknown>; id?: string } = {
      name: call.name,
      args: argumentsObject(call.arguments, `messages[${index}].tool_calls[${callIndex}].function.arguments`),
    };
    if (!isSyntheticCallId(call.id)) functionCall.id = call.id;
    parts.push({ functionCall });
  });
  return parts;
}

function functionResponsePart(message: ChatMessage, index: number, callNames: Map<string, string>): GeminiPart {
  const name = (message.toolCallId !== undefined ? callNames.get(message.toolCallId) : undefined) ?? message.name;
  if (!name) {
    const field = `messages[${index}].tool_call_id`;
    throw new GatewayError('VALIDATION_ERROR', `${field} matches no earlier assistant tool call; Gemini needs the function name for every tool result`, {
      details: { field },
    });
  }
  let text = '';
  for (const block of message.content) if (block.type === 'text') text += block.text;
  const functionResponse: { name: string; response: Record<string, unknown>; id?: string } = { name, response: responseObject(text) };
  if (message.toolCallId !== undefined && !isSyntheticCallId(message.toolCallId)) functionResponse.id = message.toolCallId;
  return { functionResponse };
}

/** A JSON object result is sent as is; anything else under `output`, the key the API reference names for a function's output. */
function responseObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    return { output: parsed };
  } catch {
    return { output: text };
  }
}

function argumentsObject(json: string, field: string): Record<string, unknown> {
  let parsed: unknown = {};
  if (json.trim() !== '') {
    try {
      parsed = JSON.parse(json);
    } catch {
      parsed = undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GatewayError('VALIDATION_ERROR', `${field} must be a JSON object; Gemini takes function call args as an object`, { details: { field } });
  }
  return parsed as Record<string, unknown>;
}

/** `data:` URLs travel inline; other URLs as `fileData` (Files API URIs, or URLs the API may fetch). */
function imagePart(url: string): GeminiPart {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (match) return { inlineData: { mimeType: match[1], data: match[2] } };
  return { fileData: { mimeType: mimeTypeOf(url), fileUri: url } };
}

function mimeTypeOf(url: string): string {
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase();
  const byExtension: Record<string, string> = { png: 'image/png', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic', heif: 'image/heif' };
  return (extension && byExtension[extension]) ?? 'image/jpeg';
}

export function toFunctionDeclaration(tool: ToolDefinition, options: GeminiBodyOptions = {}): GeminiFunctionDeclaration {
  const declaration: GeminiFunctionDeclaration = { name: tool.name };
  if (tool.description !== undefined) declaration.description = tool.description;
  const hasParameters = Object.keys(tool.parameters).length > 0 && !isEmptyObjectSchema(tool.parameters);
  // A function without arguments has no `parameters`; an empty OBJECT schema is rejected.
  if (hasParameters) {
    if (options.rawJsonSchema) declaration.parametersJsonSchema = tool.parameters;
    else declaration.parameters = toGeminiSchema(tool.parameters);
  }
  return declaration;
}

function isEmptyObjectSchema(schema: Record<string, unknown>): boolean {
  const properties = schema.properties;
  return schema.type === 'object' && (properties === undefined || (typeof properties === 'object' && properties !== null && Object.keys(properties).length === 0));
}

export function toToolConfig(choice: ToolChoice): GeminiToolConfig {
  if (typeof choice === 'object') return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
  const mode = choice === 'required' ? 'ANY' : choice === 'none' ? 'NONE' : 'AUTO';
  return { functionCallingConfig: { mode } };
}

function toGenerationConfig(request: ChatRequest, options: GeminiBodyOptions): GeminiGenerationConfig {
  const extra = request.extra ?? {};
  const config: GeminiGenerationConfig = typeof extra.generationConfig === 'object' && extra.generationConfig !== null ? { ...(extra.generationConfig as GeminiGenerationConfig) } : {};
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.stop?.length) config.stopSequences = request.stop;
  if (request.seed !== undefined) config.seed = request.seed;
  if (typeof extra.frequency_penalty === 'number') config.frequencyPenalty = extra.frequency_penalty;
  if (typeof extra.presence_penalty === 'number') config.presencePenalty = extra.presence_penalty;
  if (typeof extra.reasoning_effort === 'string' && extra.reasoning_effort in THINKING_BUDGET) {
    config.thinkingConfig = { thinkingBudget: THINKING_BUDGET[extra.reasoning_effort] };
  }
  Object.assign(config, responseFormatConfig(request.responseFormat, options));
  return config;
}

function responseFormatConfig(format: ResponseFormat | undefined, options: GeminiBodyOptions): GeminiGenerationConfig {
  if (!format || format.type === 'text') return {};
  if (format.type === 'json_object') return { responseMimeType: 'application/json' };
  return options.rawJsonSchema
    ? { responseMimeType: 'application/json', responseJsonSchema: format.schema }
    : { responseMimeType: 'application/json', responseSchema: toGeminiSchema(format.schema) };
}
