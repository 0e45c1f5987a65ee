// Starts the fake provider (TLS, fresh CA) and the gateway binaries for one test file, and
// stops them afterwards. Ports come from the processes themselves (port 0), never guessed.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function waitFor(predicate, what, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const value = predicate();
      if (value) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

function control(stack, method, path, body) {
  return new Promise((resolve, reject) => {
    import('node:https').then(({ request }) => {
      const req = request(`${stack.fakeUrl}${path}`, { method, ca: readFileSync(stack.caFile) }, (res) => {
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => resolve(text ? JSON.parse(text) : null));
      });
      req.on('error', reject);
      if (body !== undefined) req.write(JSON.stringify(body));
      req.end();
    }, reject);
  });
}

// Starts the gateway on `dir` (its config and database live there) and resolves once it listens.
async function startGateway(dir) {
  const gateway = spawn(process.env.INTERLINGUA_BIN, ['--config', join(dir, 'gateway.yaml')],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  gateway.stderr.on('data', (chunk) => { log += chunk; });
  const port = await waitFor(() => (log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/) || [])[1],
    'the gateway to listen');
  return { gateway, port };
}

export async function startStack({ gatewayKeys = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'interlingua-e2e-'));
  const portFile = join(dir, 'fake.port');
  const fake = spawn(process.env.FAKE_PROVIDER_BIN,
    ['--tls-dir', join(dir, 'tls'), '--port-file', portFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  const fakePort = await waitFor(() => existsSync(portFile) && readFileSync(portFile, 'utf8').trim(),
    'the fake provider');
  const config = `
listen: {host: 127.0.0.1, port: 0}
workers: 1
auth: {keys: [${gatewayKeys.map((k) => JSON.stringify(k)).join(', ')}]}
providers:
  fake:
    kind: openai_chat
    base_url: https://localhost:${fakePort}/v1
    api_key: upstream-key
    ca_file: ${join(dir, 'tls', 'ca.pem')}
models:
  - {match: "*", provider: fake}
logging: {level: info, access_log: false}
store: {path: ${join(dir, 'interlingua.db')}}
`;
  writeFileSync(join(dir, 'gateway.yaml'), config);
  let { gateway, port } = await startGateway(dir);
  return {
    get baseUrl() { return `http://127.0.0.1:${port}`; },
    fakeUrl: `https://localhost:${fakePort}`,
    caFile: join(dir, 'tls', 'ca.pem'),
    // What the gateway sent upstream, oldest first (the fake's control endpoint).
    recorded() { return control(this, 'GET', '/_control/requests'); },
    // Queues the fake's answer to the next upstream request.
    script(s) { return control(this, 'POST', '/_control/script', s); },
    // kill -9 and start again on the same database: nothing acknowledged may be lost.
    async crashAndRestart() {
      const exited = new Promise((resolve) => gateway.on('exit', resolve));
      gateway.kill('SIGKILL');
      await exited;
      ({ gateway, port } = await startGateway(dir));
    },
    async stop() {
      const exited = new Promise((resolve) => gateway.on('exit', (code) => resolve(code)));
      gateway.kill('SIGTERM');
      const code = await exited;
      fake.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
