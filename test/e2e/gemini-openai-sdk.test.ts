/**
 * The official `openai` SDK against the gateway's `/oai/v1` with a Gemini backend: the real
 * request path (auth → routing → inference → dispatch → dispatch-google) to the fake Gemini
 * API (test/fakes/fake-google.ts). The shared SDK gateway (support/sdk-gateway.ts) serves
 * `via-gemini` from it; the generic completion/stream/tool suites in openai-sdk.test.ts run
 * over it too. Here: what only Gemini does — the exact upstream requests (Gemini API
 * reference — "models.generateContent", "models.streamGenerateContent", "Function calling":
 * path, `x-goog-api-key`, contents/parts, functionCall/functionResponse), thought parts,
 * safety blocks, and Gemini errors as the SDK's exception classes.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MEMBER_KEY, startSdkGateway, type SdkGateway } from './support/sdk-gateway.js';

let gw: SdkGateway;
let client: OpenAI;

beforeAll(async () => {
  gw = await startSdkGateway();
  client = new OpenAI({ apiKey: MEMBER_KEY, baseURL: `${gw.t.url}/oai/v1`, maxRetries: 0, timeout: 10_000 });
});
afterAll(async () => {
  await gw?.stop();
});
beforeEach(() => {
  gw.fakeGoogle.requests.length = 0;
});

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: { type: 'object', additionalProperties: false, properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('openai SDK → /oai/v1 → Gemini', () => {
  it('Gemini API reference — models.generateContent: a completion, and the exact request Gemini received', async () => {
    gw.fakeGoogle.script({ text: 'Paris.', usage: { promptTokenCount: 11, candidatesTokenCount: 2, thoughtsTokenCount: 5 } });
    const completion = await client.chat.completions.create({
      model: 'via-gemini',
      messages: [
        { role: 'system', content: 'Answer in one word.' },
        { role: 'user', content: 'Capital of France?' },
      ],
      temperature: 0.2,
      max_tokens: 40,
      stop: ['\n\n'],
    });
    expect(completion.model).toBe('via-gemini');
    expect(completion.choices[0]!.message.content).toBe('Paris.');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });

    const [request] = gw.fakeGoogle.requests;
    expect(request!.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(request!.headers['x-goog-api-key']).toBe('g-upstream-key');
    expect(request!.headers.authorization).toBeUndefined();
    expect(request!.body).toEqual({
      systemInstruction: { parts: [{ text: 'Answer in one word.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Capital of France?' }] }],
      generationConfig: { temperature: 0.2, maxOutputTokens: 40, stopSequences: ['\n\n'] },
    });
  });

  it('Gemini API reference — models.streamGenerateContent: a stream with usage, from :streamGenerateContent?alt=sse', async () => {
    gw.fakeGoogle.script({ text: 'One, two, three, four, five.', usage: { promptTokenCount: 9, candidatesTokenCount: 5 } });
    const stream = await client.chat.completions.create({
      model: 'via-gemini',
      messages: [{ role: 'user', content: 'Count to five.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('One, two, three, four, five.');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 });
    expect(gw.fakeGoogle.requests[0]!.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(gw.fakeGoogle.requests[0]!.headers['x-goog-api-key']).toBe('g-upstream-key');
  });

  it('Gemini API reference — Function calling: a tool call round trip, whole and streamed, with functionCall/functionResponse parts upstream', async () => {
    gw.fakeGoogle.script({ functionCalls: [{ name: 'get_weather', args: { city: 'Oslo' } }] });
    const completion = await client.chat.completions.create({
      model: 'via-gemini',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [weatherTool],
      tool_choice: 'required',
    });
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Oslo' });
    expect(call.id).toMatch(/^call_gemini_/);
    expect(gw.fakeGoogle.requests[0]!.body).toMatchObject({
      tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    });

    gw.fakeGoogle.script({ functionCalls: [{ name: 'get_weather', args: { city: 'Bergen' } }] });
    const final = await client.chat.completions
      .stream({ model: 'via-gemini', messages: [{ role: 'user', content: 'Weather in Bergen?' }], tools: [weatherTool] })
      .finalChatCompletion();
    const streamed = final.choices[0]!.message.tool_calls![0]!;
    expect(streamed.type === 'function' && JSON.parse(streamed.function.arguments)).toEqual({ city: 'Bergen' });
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');

    gw.fakeGoogle.script({ text: 'It is sunny in Bergen.' });
    const answer = await client.chat.completions.create({
      model: 'via-gemini',
      messages: [
        { role: 'user', content: 'Weather in Bergen?' },
        { role: 'assistant', content: null, tool_calls: [{ id: streamed.id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bergen"}' } }] },
        { role: 'tool', tool_call_id: streamed.id, content: '{"sky":"clear"}' },
      ],
      tools: [weatherTool],
    });
    expect(answer.choices[0]!.message.content).toBe('It is sunny in Bergen.');
    expect(gw.fakeGoogle.requests.at(-1)!.body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Bergen?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Bergen' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { sky: 'clear' } } }] },
    ]);
  });

  it('a blocked prompt is a content_filter answer, not an error', async () => {
    gw.fakeGoogle.script({ blockReason: 'SAFETY' });
    const completion = await client.chat.completions.create({ model: 'via-gemini', messages: [{ role: 'user', content: 'Something unsafe.' }] });
    expect(completion.choices[0]!.finish_reason).toBe('content_filter');
    expect(completion.choices[0]!.message.content ?? '').toBe('');
  });

  it('Gemini errors reach the SDK as its exception classes: 429/500 → InternalServerError (502), 400 → BadRequestError', async () => {
    for (const status of [429, 500]) {
      gw.fakeGoogle.script({ status });
      const err = await client.chat.completions.create({ model: 'via-gemini', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect(err.status).toBe(502);
      expect(err.message).not.toContain('g-upstream-key');
    }
    gw.fakeGoogle.script({ status: 400, message: 'Invalid value at generation_config.temperature' });
    const bad = await client.chat.completions.create({ model: 'via-gemini', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.message).toContain('generation_config.temperature');
  });
});
