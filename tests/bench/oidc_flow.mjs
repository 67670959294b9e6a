// oidc_flow.mjs - drives complete authorization-code flows against the
// gateway with an existing session: GET /authorize (cookie) -> 303 with a
// code -> POST /token (client_secret_basic, PKCE S256) -> GET /userinfo.
// Prints completed flows per second and flow latency percentiles.
//   node oidc_flow.mjs BASE COMPANY CLIENT_ID SECRET SESSION_ID SECONDS CONCURRENCY CA_FILE
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';

const [base, cid, clientId, secret, sid, seconds, conc, caFile] = process.argv.slice(2);
const url = new URL(base);
const agent = new https.Agent({ keepAlive: true, ca: readFileSync(caFile), maxSockets: Number(conc) });
const basic = 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64');
const cb = 'https://rp.example/cb';

function req(method, path, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const r = https.request({ host: url.hostname, port: url.port, method, path, agent,
      headers: body ? { ...headers, 'Content-Length': Buffer.byteLength(body) } : headers },
    (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString() }));
    });
    r.on('error', reject);
    if (body) r.write(body);
    r.end();
  });
}

async function flow() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({ client_id: clientId, redirect_uri: cb, response_type: 'code',
    scope: 'openid email profile', state: 's', nonce: 'n', code_challenge: challenge,
    code_challenge_method: 'S256' });
  const a = await req('GET', `/oidc/${cid}/authorize?${q}`, { Cookie: `__Host-idgate-${cid}=${sid}` });
  const code = new URL(a.headers.location ?? 'x:/').searchParams.get('code');
  if (a.status !== 303 || !code) throw new Error(`authorize: ${a.status} ${a.headers.location}`);
  const t = await req('POST', `/oidc/${cid}/token`, { Authorization: basic,
    'Content-Type': 'application/x-www-form-urlencoded' },
  new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: cb,
    code_verifier: verifier }).toString());
  if (t.status !== 200) throw new Error(`token: ${t.status} ${t.body}`);
  const u = await req('GET', `/oidc/${cid}/userinfo`,
    { Authorization: `Bearer ${JSON.parse(t.body).access_token}` });
  if (u.status !== 200) throw new Error(`userinfo: ${u.status} ${u.body}`);
}

const end = Date.now() + Number(seconds) * 1000;
const lat = [];
let errors = 0;
async function worker() {
  while (Date.now() < end) {
    const t0 = process.hrtime.bigint();
    try { await flow(); lat.push(Number(process.hrtime.bigint() - t0) / 1e6); } catch (e) {
      if (errors++ < 3) console.error(e.message);
    }
  }
}
const t0 = Date.now();
await Promise.all(Array.from({ length: Number(conc) }, worker));
const secs = (Date.now() - t0) / 1000;
lat.sort((x, y) => x - y);
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : 0).toFixed(2);
console.log(`  ${(lat.length / secs).toFixed(0)} flows/s (${lat.length} in ${secs.toFixed(1)} s, ` +
  `${errors} errors), flow latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`);
agent.destroy();
