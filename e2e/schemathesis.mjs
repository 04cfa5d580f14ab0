// Runs schemathesis (PyPI) against /api/openapi.json of a fresh `cjm serve`
// with a read-and-write API token: no answer may be a 5xx, and every answer
// must match its schema. Started by scripts/schemathesis.sh, which installs
// schemathesis; the server is stopped by its PID.
import { spawn } from 'node:child_process';
import { apiToken, setUpAdmin, startServer } from './serve.mjs';

async function writeToken(server) {
  const session = await setUpAdmin(server, { name: 'Theo Tester', email: 'theo@example.com', password: 'schemas all the way' });
  return apiToken(server, session, 'schemathesis', 'write');
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
