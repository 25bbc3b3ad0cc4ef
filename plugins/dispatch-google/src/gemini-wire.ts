/**
 * @module gemini-wire
 * The subset of the Gemini API wire format the gateway speaks, typed from the Gemini API
 * reference: "models.generateContent" (GenerateContentRequest/Response, Content, Part,
 * Candidate, UsageMetadata, PromptFeedback), "models.streamGenerateContent" (the same
 * response object, one partial per SSE event), "Function calling" (FunctionDeclaration,
 * FunctionCall, FunctionResponse, ToolConfig) and "models.batchEmbedContents".
 */

export type GeminiPart =
  | { text: string; thought?: boolean; thoughtSignature?: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType?: string; fileUri: string } }
  | { functionCall: GeminiFunctionCall; thoughtSignature?: string }
  | { functionResponse: GeminiFunctionResponse };

export interface GeminiFunctionCall {
  name: string;
  args?: Record<string, unknown>;
  /** Set by some models/APIs; echoed back in the matching functionResponse when present. */
  id?: string;
}

export interface GeminiFunctionResponse {
  name: string;
  response: Record<string, unknown>;
  id?: string;
}

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  /** OpenAPI-subset Schema (sanitized from JSON Schema). */
  parameters?: Record<string, unknown>;
  /** Full JSON Schema, sent instead of `parameters` when the provider option `rawJsonSchema` is set. */
  parametersJsonSchema?: Record<string, unknown>;
}

export type GeminiFunctionCallingMode = 'AUTO' | 'ANY' | 'NONE';

export interface GeminiToolConfig {
  functionCallingConfig: { mode: GeminiFunctionCallingMode; allowedFunctionNames?: string[] };
}

export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  seed?: number;
  responseMimeType?: string;
  responseSchema?: Record<string, unknown>;
  responseJsonSchema?: Record<string, unknown>;
  [field: string]: unknown;
}

/** Body of `POST /v1beta/{model}:generateContent` and `:streamGenerateContent`. */
export interface GeminiGenerateContentBody {
  contents: GeminiContent[];
  systemInstruction?: { parts: Array<{ text: string }> };
  tools?: Array<{ functionDeclarations: GeminiFunctionDeclaration[] }>;
  toolConfig?: GeminiToolConfig;
  generationConfig?: GeminiGenerationConfig;
  safetySettings?: unknown[];
  [field: string]: unknown;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
}

export interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
  index?: number;
  safetyRatings?: unknown[];
}

export interface GeminiGenerateContentResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; safetyRatings?: unknown[] };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  /** Some proxies (and the API on mid-stream failures) put an error object in a stream event. */
  error?: GeminiError;
}

/** `{error: {code, message, status}}` (google.rpc.Status). */
export interface GeminiError {
  code?: number;
  message?: string;
  status?: string;
}

export interface GeminiBatchEmbedBody {
  requests: Array<{ model: string; content: { parts: Array<{ text: string }> }; outputDimensionality?: number; taskType?: string }>;
}

export interface GeminiBatchEmbedResponse {
  embeddings?: Array<{ values?: number[] }>;
}
