// The official @google/genai SDK, pointed at the gateway's base URL with no other change, must
// get its answers (text and usage) from the upstream behind it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { startStack } from './harness.mjs';

let stack;
let ai;

before(async () => {
  stack = await startStack();
  ai = new GoogleGenAI({
    apiKey: 'any-key',
    apiVersion: 'v1beta',
    httpOptions: { baseUrl: `${stack.baseUrl}/v3/compat` },
  });
});

after(async () => {
  // SIGTERM drains and exits 0: the sidecar contract.
  assert.equal(await stack.stop(), 0);
});

test('unary create returns the text and usage of the upstream answer', async () => {
  const r = await ai.interactions.create({
    model: 'gpt-4o-mini',
    input: 'Hello from the SDK',
    system_instruction: 'Echo please.',
  });
  assert.equal(r.status, 'completed');
  assert.match(r.id, /^v1_/);
  assert.equal(r.output_text, 'Hello from the SDK');
  // The fake counts words: 2 system + 4 user in, 4 out.
  assert.equal(r.usage.total_input_tokens, 6);
  assert.equal(r.usage.total_output_tokens, 4);
  assert.equal(r.usage.total_tokens, 10);
  const seen = await stack.recorded();
  const upstream = JSON.parse(seen.at(-1).body);
  assert.equal(upstream.model, 'gpt-4o-mini');
  assert.equal(upstream.messages.at(-1).content, 'Hello from the SDK');
});

test('streamed create yields the step deltas and the completed usage', async () => {
  const stream = await ai.interactions.create({
    model: 'gpt-4o-mini',
    input: 'count one two three',
    stream: true,
  });
  let text = '';
  const types = [];
  let completed;
  for await (const ev of stream) {
    types.push(ev.event_type);
    if (ev.event_type === 'step.delta' && ev.delta.type === 'text') text += ev.delta.text;
    if (ev.event_type === 'interaction.completed') completed = ev.interaction;
  }
  assert.equal(text, 'count one two three');
  assert.equal(types[0], 'interaction.created');
  assert.ok(types.includes('step.start') && types.includes('step.stop'));
  assert.equal(types.at(-1), 'interaction.completed');
  assert.equal(completed.status, 'completed');
  assert.equal(completed.usage.total_input_tokens, 4);
  assert.equal(completed.usage.total_output_tokens, 4);
});

test('a client error surfaces as the SDK error with the gateway message', async () => {
  await assert.rejects(
    ai.interactions.create({ model: 'gpt-4o-mini', input: 'x', generation_config: { top_p: 7 } }),
    (err) => {
      assert.equal(err.status ?? err.statusCode, 400);
      assert.match(String(err.message), /top_p/);
      return true;
    });
});
