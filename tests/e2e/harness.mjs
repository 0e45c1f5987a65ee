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
`;
  writeFileSync(join(dir, 'gateway.yaml'), config);
  const gateway = spawn(process.env.INTERLINGUA_BIN, ['--config', join(dir, 'gateway.yaml')],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  gateway.stderr.on('data', (chunk) => { log += chunk; });
  const port = await waitFor(() => (log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/) || [])[1],
    'the gateway to listen');
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    fakeUrl: `https://localhost:${fakePort}`,
    caFile: join(dir, 'tls', 'ca.pem'),
    async recorded() {
      // The fake's control endpoint lists what the gateway sent upstream.
      const { request } = await import('node:https');
      return new Promise((resolve, reject) => {
        request(`${this.fakeUrl}/_control/requests`, { ca: readFileSync(this.caFile) }, (res) => {
          let body = '';
          res.on('data', (c) => { body += c; });
          res.on('end', () => resolve(JSON.parse(body)));
        }).on('error', reject).end();
      });
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
