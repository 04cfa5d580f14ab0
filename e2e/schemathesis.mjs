// Runs schemathesis (PyPI) against /api/openapi.json of a fresh `cjm serve`
// with a read-and-write API token: no answer may be a 5xx, and every answer
// must match its schema. Started by scripts/schemathesis.sh, which installs
// schemathesis; the server is stopped by its PID.
import { spawn } from 'node:child_process';
import { startServer } from './serve.mjs';

function cookiesFrom(res, jar) {
  for (const c of res.headers.getSetCookie()) { const [kv] = c.split(';'); const [k, v] = kv.split('='); jar[k] = v; }
  return Object.entries(jar).map(([k, v]) => `${k}=${v}`).join('; ');
}

async function writeToken(server) {
  const jar = {};
  const form = await fetch(server.setup);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())[1];
  let cookie = cookiesFrom(form, jar);
  const body = new URLSearchParams({ _csrf: csrf, name: 'Theo Tester', email: 'theo@example.com', password: 'schemas all the way' });
  cookie = cookiesFrom(await fetch(server.setup, { method: 'POST', body, headers: { cookie, origin: server.base }, redirect: 'manual' }), jar);
  const page = await (await fetch(new URL('/account', server.base), { headers: { cookie } })).text();
  const pageCsrf = /name="csrf-token" content="([^"]+)"/.exec(page)[1];
  const res = await fetch(new URL('/api/tokens', server.base), {
    method: 'POST', headers: { cookie, 'x-csrf-token': pageCsrf, origin: server.base, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'schemathesis', scope: 'write' }),
  });
  return (await res.json()).token;
}

const server = await startServer();
let code = 1;
try {
  const token = await writeToken(server);
  const args = [
    'run', new URL('/api/openapi.json', server.base).href,
    '-H', `Authorization: Bearer ${token}`,
    '--checks', 'not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance',
    '--max-examples', process.env.ST_EXAMPLES || '60',
    '--workers', '2',
    '--max-response-time', '30',
    // These two would revoke the run's own token or password midway.
    '--exclude-path', '/api/tokens/{tid}',
    '--exclude-path', '/api/me/password',
    ...(process.argv.slice(2)),
  ];
  const st = spawn(process.env.SCHEMATHESIS || 'schemathesis', args, { stdio: 'inherit' });
  code = await new Promise((r) => st.on('exit', r));
} finally {
  await server.stop();
}
process.exit(code);
