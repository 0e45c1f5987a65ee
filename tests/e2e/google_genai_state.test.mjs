// Stored state through the official @google/genai SDK: function-call round trips continued with
// previous_interaction_id, multi-turn history, get/delete, ownership by key, and durability
// across kill -9.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GoogleGenAI } from '@google/genai';
import { startStack } from './harness.mjs';

const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

let stack;
const client = (apiKey = 'key-a') => new GoogleGenAI({
  apiKey,
  apiVersion: 'v1beta',
  httpOptions: { baseUrl: `${stack.baseUrl}/v3/compat` },
});
const tools = [{
  type: 'function', name: 'get_weather', description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
}];

before(async () => { stack = await startStack(); });
after(async () => { await stack.stop(); });

async function lastUpstreamBody() {
  return JSON.parse((await stack.recorded()).at(-1).body);
}

test('unary function call: requires_action, then function_result completes it', async () => {
  const ai = client();
  await stack.script({ body: fixture('openai/reply_tool_call.json') });
  const first = await ai.interactions.create({ model: 'gpt-4o-mini', input: 'Weather in Paris?', tools });
  assert.equal(first.status, 'requires_action');
  const call = first.steps.find((s) => s.type === 'function_call');
  assert.deepEqual(call.arguments, { city: 'Paris' });
  assert.equal(call.name, 'get_weather');

  const second = await ai.interactions.create({
    model: 'gpt-4o-mini',
    previous_interaction_id: first.id,
    input: [{ type: 'function_result', call_id: call.id, name: call.name, result: 'sunny' }],
    tools,
  });
  assert.equal(second.status, 'completed');
  const upstream = await lastUpstreamBody();
  const assistant = upstream.messages.find((m) => m.role === 'assistant');
  assert.equal(assistant.tool_calls[0].id, call.id);
  assert.equal(JSON.parse(assistant.tool_calls[0].function.arguments).city, 'Paris');
  assert.deepEqual(upstream.messages.at(-1), { role: 'tool', tool_call_id: call.id, content: 'sunny' });
  assert.equal(upstream.tools[0].function.name, 'get_weather');
});

test('streamed function call: arguments_delta fragments, then a streamed continuation', async () => {
  const ai = client();
  await stack.script({ body: fixture('openai/stream_tool_call.sse') });
  const stream = await ai.interactions.create({
    model: 'gpt-4o-mini', input: 'Weather in Paris?', tools, stream: true,
  });
  let id; let callId; let args = ''; let status;
  for await (const ev of stream) {
    if (ev.event_type === 'interaction.created') id = ev.interaction.id;
    if (ev.event_type === 'step.start' && ev.step.type === 'function_call') callId = ev.step.id;
    if (ev.event_type === 'step.delta' && ev.delta.type === 'arguments_delta') args += ev.delta.arguments;
    if (ev.event_type === 'interaction.completed') status = ev.interaction.status;
  }
  assert.equal(status, 'requires_action');
  assert.equal(callId, 'call_w1');
  assert.deepEqual(JSON.parse(args), { city: 'Paris' });

  const next = await ai.interactions.create({
    model: 'gpt-4o-mini', previous_interaction_id: id, stream: true, tools,
    input: [{ type: 'function_result', call_id: callId, name: 'get_weather', result: 'rain' }],
  });
  let finalStatus;
  for await (const ev of next) {
    if (ev.event_type === 'interaction.completed') finalStatus = ev.interaction.status;
  }
  assert.equal(finalStatus, 'completed');
  const upstream = await lastUpstreamBody();
  assert.deepEqual(upstream.messages.at(-1), { role: 'tool', tool_call_id: 'call_w1', content: 'rain' });
});

test('three turns through previous_interaction_id carry every earlier turn upstream', async () => {
  const ai = client();
  const one = await ai.interactions.create({ model: 'gpt-4o-mini', input: 'first words' });
  const two = await ai.interactions.create({ model: 'gpt-4o-mini', input: 'second words', previous_interaction_id: one.id });
  await ai.interactions.create({ model: 'gpt-4o-mini', input: 'third words', previous_interaction_id: two.id });
  const upstream = await lastUpstreamBody();
  assert.deepEqual(upstream.messages.map((m) => [m.role, m.content]), [
    ['user', 'first words'], ['assistant', 'first words'],
    ['user', 'second words'], ['assistant', 'second words'],
    ['user', 'third words'],
  ]);
});

test('get returns the stored interaction; delete removes it', async () => {
  const ai = client();
  const made = await ai.interactions.create({ model: 'gpt-4o-mini', input: 'keep me' });
  const got = await ai.interactions.get(made.id);
  assert.equal(got.id, made.id);
  assert.equal(got.output_text, 'keep me');
  for (const k of ['total_input_tokens', 'total_output_tokens', 'total_tokens']) {
    assert.equal(got.usage[k], made.usage[k], k);
  }
  await ai.interactions.delete(made.id);
  await assert.rejects(ai.interactions.get(made.id), (err) => (err.status ?? err.statusCode) === 404);
});

test('a second key cannot read the first key\'s interaction', async () => {
  const made = await client('key-a').interactions.create({ model: 'gpt-4o-mini', input: 'mine' });
  await assert.rejects(client('key-b').interactions.get(made.id),
    (err) => (err.status ?? err.statusCode) === 404);
  assert.equal((await client('key-a').interactions.get(made.id)).id, made.id);
});

test('an acknowledged interaction survives kill -9 and a restart on the same file', async () => {
  const made = await client().interactions.create({ model: 'gpt-4o-mini', input: 'durable words' });
  await stack.crashAndRestart();
  const got = await client().interactions.get(made.id);
  assert.equal(got.output_text, 'durable words');
  assert.equal(got.status, 'completed');
});
