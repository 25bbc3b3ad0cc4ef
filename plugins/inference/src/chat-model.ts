/**
 * @module chat-model
 * The internal model: the provider-agnostic request/response shapes every inbound adapter
 * translates into and every dispatcher translates out of. Defined by the dispatch plugin
 * (the contract with provider packages) and re-exported here, so inference's users need
 * only this package.
 */
export type {
  ChatRole,
  ContentBlock,
  ToolCall,
  ChatMessage,
  ToolDefinition,
  ToolChoice,
  ResponseFormat,
  ChatRequest,
  Usage,
  FinishReason,
  ChatResponse,
  ChatChunk,
  EmbeddingRequest,
  EmbeddingResponse,
} from '@scaigrid/plugin-dispatch';
