// The official @julep/sdk, pointed at the gateway with baseURL and nothing else changed: agents,
// sessions, chat (unary and streamed), history carried upstream, typed tool calls, validation
// and ownership errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Julep from '@julep/sdk';
import { startStack } from './harness.mjs';

let stack;
const client = (apiKey = 'key-a') => new Julep({ apiKey, baseURL: stack.baseUrl, maxRetries: 0 });

before(async () => { stack = await startStack({ gatewayKeys: ['key-a', 'key-b'] }); });
after(async () => { assert.equal(await stack.stop(), 0); });

async function lastUpstreamBody() {
  return JSON.parse((await stack.recorded()).at(-1).body);
}

async function agentAndSession(julep, extra = {}) {
  const agent = await julep.agents.create({
    name: 'Ada', about: 'a terse assistant', model: 'gpt-4o-mini',
    instructions: ['Answer briefly.'], ...extra,
  });
  const session = await julep.sessions.create({ agent: agent.id, situation: 'a unit test' });
  return { agent, session };
}

test('agent and session round trip through the SDK', async () => {
  const julep = client();
  const { agent, session } = await agentAndSession(julep);
  assert.match(agent.id, /^[0-9a-f-]{36}$/);
  assert.equal((await julep.agents.get(agent.id)).name, 'Ada');
  const got = await julep.sessions.get(session.id);
  assert.equal(got.situation, 'a unit test');
  const listed = [];
  for await (const s of julep.sessions.list()) listed.push(s.id);
  assert.ok(listed.includes(session.id));
});

test('unary chat: 201 ChatResponse with the text, usage and the system prompt upstream', async () => {
  const julep = client();
  const { session } = await agentAndSession(julep);
  const r = await julep.sessions.chat(session.id, { messages: [{ role: 'user', content: 'hello there' }] });
  assert.equal(r.choices[0].message.content, 'hello there');
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.ok(r.usage.total_tokens > 0);
  assert.deepEqual(r.docs, []);
  const upstream = await lastUpstreamBody();
  assert.equal(upstream.model, 'gpt-4o-mini');
  assert.equal(upstream.messages[0].role, 'system');
  assert.match(upstream.messages[0].content, /You are Ada\./);
  assert.match(upstream.messages[0].content, /Situation: a unit test/);
  assert.match(upstream.messages[0].content, /- Answer briefly\./);
});

test('a second chat carries the first exchange upstream; history lists both turns', async () => {
  const julep = client();
  const { session } = await agentAndSession(julep);
  await julep.sessions.chat(session.id, { messages: [{ role: 'user', content: 'my name is Grace' }] });
  await julep.sessions.chat(session.id, { messages: [{ role: 'user', content: 'what is my name' }] });
  const upstream = await lastUpstreamBody();
  const turns = upstream.messages.filter((m) => m.role !== 'system').map((m) => [m.role, m.content]);
  assert.deepEqual(turns, [
    ['user', 'my name is Grace'], ['assistant', 'my name is Grace'], ['user', 'what is my name'],
  ]);
  const history = await julep.sessions.history(session.id);
  assert.equal(history.entries.length, 4);
  assert.deepEqual(history.entries.map((e) => e.source),
    ['api_request', 'api_response', 'api_request', 'api_response']);
  assert.equal(history.entries[0].content[0].text, 'my name is Grace');
});

test('streamed chat: SSE chunks with deltas and usage on the last, no [DONE]', async () => {
  const julep = client();
  const { session } = await agentAndSession(julep);
  // The Node SDK resolves a streamed chat to the whole SSE body (spec §4).
  const body = await julep.sessions.chat(session.id, {
    messages: [{ role: 'user', content: 'stream these words' }], stream: true,
  });
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  assert.ok(!text.includes('[DONE]'));
  const chunks = text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => JSON.parse(e.slice(6)));
  assert.ok(chunks.length >= 2);
  const content = chunks.flatMap((c) => c.choices).map((c) => c.delta?.content ?? '').join('');
  assert.equal(content, 'stream these words');
  assert.ok(chunks.every((c) => c.id === chunks[0].id));
  assert.ok(chunks.at(-1).usage.total_tokens > 0);
  // The streamed exchange was saved too.
  assert.equal((await julep.sessions.history(session.id)).entries.length, 2);
});

test('tool calls come back typed: function calls and computer actions', async () => {
  const julep = client();
  const { session } = await agentAndSession(julep);
  await stack.script({
    body: JSON.stringify({
      id: 'c1', object: 'chat.completion', created: 1, model: 'gpt-4o-mini',
      choices: [{
        index: 0, finish_reason: 'tool_calls',
        message: {
          role: 'assistant', content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'computer', arguments: '{"action":"screenshot"}' } },
          ],
        },
      }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    }),
  });
  const r = await julep.sessions.chat(session.id, {
    messages: [{ role: 'user', content: 'weather and a screenshot' }],
    tools: [
      { name: 'get_weather', type: 'function', description: 'weather',
        function: { parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
      { name: 'computer', type: 'computer_20241022',
        computer_20241022: { display_width_px: 1024, display_height_px: 768 } },
    ],
  });
  assert.equal(r.choices[0].finish_reason, 'tool_calls');
  const [fn, computer] = r.choices[0].message.tool_calls;
  assert.equal(fn.type, 'function');
  assert.equal(fn.id, 'call_1');
  assert.equal(fn.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(fn.function.arguments), { city: 'Paris' });
  // The bare ChosenComputer20241022 shape (no type or id), unset fields null as upstream sends them.
  assert.equal(computer.action, 'screenshot');
  assert.equal(computer.type, undefined);
  assert.equal(computer.function, undefined);
  const upstream = await lastUpstreamBody();
  assert.deepEqual(upstream.tools.map((t) => t.function.name), ['get_weather', 'computer']);
});

test('an out-of-range value is a 422 naming the field', async () => {
  const julep = client();
  const { session } = await agentAndSession(julep);
  const before = (await stack.recorded()).length;
  await assert.rejects(
    julep.sessions.chat(session.id, { messages: [{ role: 'user', content: 'hi' }], temperature: 5.5 }),
    (err) => {
      assert.equal(err.status, 422);
      assert.equal(err.error.error.code, 'validation_error');
      assert.ok(err.error.error.details.some((d) => d.loc === 'temperature'));
      return true;
    },
  );
  assert.equal((await stack.recorded()).length, before);  // nothing went upstream
});

test('another key\'s session is a 404', async () => {
  const { session } = await agentAndSession(client('key-a'));
  await assert.rejects(
    client('key-b').sessions.chat(session.id, { messages: [{ role: 'user', content: 'hi' }] }),
    (err) => { assert.equal(err.status, 404); return true; },
  );
  await assert.rejects(client('key-b').sessions.get(session.id), (err) => err.status === 404);
});
