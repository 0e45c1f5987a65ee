// Background runs, resumption and structured output through the official @google/genai SDK:
// create in the background and poll, follow with get({stream}), cancel, survive kill -9 as a
// clear failure, resume a stream after an event, and ask the upstream for JSON with a schema.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { startStack } from './harness.mjs';

let stack;
const client = () => new GoogleGenAI({
  apiKey: 'unused',
  apiVersion: 'v1beta',
  httpOptions: { baseUrl: `${stack.baseUrl}/v3/compat` },
});

before(async () => { stack = await startStack(); });
after(async () => { await stack.stop(); });

// An OpenAI stream with one delta, after which the fake says nothing more (a slow model).
const stalled = {
  body: 'data: {"choices":[{"index":0,"delta":{"content":"Thinking"},"finish_reason":null}]}\n\n'
    + 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
  fault: 'stall',
  fault_after_events: 1,
};

async function pollUntilDone(ai, id) {
  for (let i = 0; i < 500; i += 1) {
    const got = await ai.interactions.get(id);
    if (got.status !== 'in_progress') return got;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`interaction ${id} never finished`);
}

async function upstreamRequests() {
  return (await stack.recorded()).length;
}

async function waitForUpstream(count) {
  for (let i = 0; i < 500 && (await upstreamRequests()) < count; i += 1) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('background create answers in_progress, then polling finds it completed', async () => {
  const ai = client();
  const started = await ai.interactions.create({ model: 'gpt-4o-mini', input: 'run this later', background: true });
  assert.equal(started.status, 'in_progress');
  assert.ok(started.id);
  const done = await pollUntilDone(ai, started.id);
  assert.equal(done.status, 'completed');
  assert.equal(done.output_text, 'run this later');
  assert.ok(done.usage.total_tokens > 0);
});

test('get with stream follows a background run to its end', async () => {
  const ai = client();
  await stack.script({
    body: 'data: {"choices":[{"index":0,"delta":{"content":"slow "},"finish_reason":null}]}\n\n'
      + 'data: {"choices":[{"index":0,"delta":{"content":"answer"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
    gap_ms: 50,
  });
  const started = await ai.interactions.create({ model: 'gpt-4o-mini', input: 'x', background: true });
  let text = '';
  let final;
  for await (const event of await ai.interactions.get(started.id, { stream: true })) {
    if (event.event_type === 'step.delta' && event.delta.type === 'text') text += event.delta.text;
    if (event.event_type === 'interaction.completed') final = event.interaction;
  }
  assert.equal(text, 'slow answer');
  assert.equal(final.status, 'completed');
});

test('cancel stops a running background interaction', async () => {
  const ai = client();
  const before = await upstreamRequests();
  await stack.script(stalled);
  const started = await ai.interactions.create({ model: 'gpt-4o-mini', input: 'never ends', background: true });
  await waitForUpstream(before + 1);
  const cancelled = await ai.interactions.cancel(started.id);
  assert.equal(cancelled.status, 'cancelled');
  assert.equal((await ai.interactions.get(started.id)).status, 'cancelled');
});

test('a run cut off by kill -9 is failed after the restart, never in_progress forever', async () => {
  const ai = client();
  const before = await upstreamRequests();
  await stack.script(stalled);
  const started = await ai.interactions.create({ model: 'gpt-4o-mini', input: 'interrupted', background: true });
  await waitForUpstream(before + 1);
  await stack.crashAndRestart();
  const got = await client().interactions.get(started.id);
  assert.equal(got.status, 'failed');
  assert.match(got.error.message, /restarted/);
});

test('a lost stream resumes after its last event id with the rest of the answer', async () => {
  const ai = client();
  const events = [];
  for await (const event of await ai.interactions.create({ model: 'gpt-4o-mini', input: 'alpha beta gamma', stream: true })) {
    events.push(event);
  }
  const id = events[0].interaction.id;
  const cut = events.findIndex((e) => e.event_type === 'step.delta');
  assert.ok(cut > 0);
  const textOf = (list) => list.filter((e) => e.event_type === 'step.delta' && e.delta.type === 'text')
    .map((e) => e.delta.text).join('');
  const rest = [];
  for await (const event of await ai.interactions.get(id, { stream: true, last_event_id: events[cut].event_id })) {
    rest.push(event);
  }
  assert.equal(textOf(rest), textOf(events.slice(cut + 1)));
  assert.equal(rest.at(-1).event_type, 'interaction.completed');
});

test('structured output asks the upstream for JSON with the schema', async () => {
  const ai = client();
  const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
  const result = await ai.interactions.create({
    model: 'gpt-4o-mini',
    input: '{"city":"Paris"}',
    response_format: { type: 'text', mime_type: 'application/json', schema },
  });
  assert.deepEqual(JSON.parse(result.output_text), { city: 'Paris' });
  const upstream = JSON.parse((await stack.recorded()).at(-1).body);
  assert.equal(upstream.response_format.type, 'json_schema');
  assert.deepEqual(upstream.response_format.json_schema.schema, schema);
});
