// sp.mjs - starts the test SAML service providers (pysaml2_sp.py and
// node_saml_sp.mjs, two independent SAML implementations) and the small
// pysaml2 IdP of selftest.mjs as real processes on free loopback ports,
// stopped by PID. Also the bits a SAML test needs: a plain-HTTP client,
// the auto-submit form parser, and a signature tamperer.
//
//   const sp = await startSp('pysaml2' | 'node-saml', {
//     entity_id, idp_metadata /* file or URL */, idp_ca_file, idp_entity_id,
//     key_file, cert_file /* generated when absent */, sign_requests,
//     name_id_format, binding: 'redirect'|'post', allow_unsolicited,
//     want_response_signed, want_assertions_signed, clock_skew_s, base_url });
//   sp.url, sp.port, await sp.metadata(), await sp.state(), await sp.stop()
//   await sp.get('/login?binding=post&relay=x'), await sp.post('/acs', fields)
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);
// Debian's interpreter: python3-pysaml2 is installed for it, not for a
// python3 that may come first on PATH (pyenv and the like).
export const PYTHON = process.env.IDGATE_SP_PYTHON ?? '/usr/bin/python3';

// A self-signed RSA key and certificate (SAML signing keys are RSA here).
export async function makeKeyPair(dir, cn) {
  const key = join(dir, `${cn}.key`);
  const cert = join(dir, `${cn}.crt`);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', `/CN=${cn}`, '-keyout', key, '-out', cert]);
  return { key_file: key, cert_file: cert };
}

// Spawns a server that prints "READY <port>"; resolves once it did.
function spawnReady(cmd, args, what, ms = 30000) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: here });
  let out = '';
  let err = '';
  const exited = new Promise((r) => proc.on('exit', (code, sig) => r({ code, sig })));
  proc.stderr.on('data', (d) => { err += d; if (process.env.SP_DEBUG) process.stderr.write(d); });
  const ready = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no READY after ${ms} ms\n${err}`)), ms);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^READY (\d+)$/m);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    });
    exited.then(({ code, sig }) => {
      clearTimeout(t);
      reject(new Error(`${what} exited (${code ?? sig}) before READY\n${err}`));
    });
  });
  return { proc, exited, ready, stderr: () => err };
}

async function stopProc(p) {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  process.kill(p.proc.pid, 'SIGTERM');
  const t = setTimeout(() => {
    try { process.kill(p.proc.pid, 'SIGKILL'); } catch { /* gone */ }
  }, 5000);
  await p.exited;
  clearTimeout(t);
}

// ---- HTTP ----

// One request to an http(s) URL; body: a string or a form object. Resolves
// with { status, headers, body, json() }; never follows redirects.
export function request(method, url, { form, body, headers = {}, ca } = {}) {
  const u = new URL(url);
  const h = { ...headers };
  if (form) {
    body = new URLSearchParams(form).toString();
    h['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  if (body !== undefined) h['Content-Length'] = Buffer.byteLength(body);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method, headers: h, ...(ca ? { ca } : {}) }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, body: text,
          location: res.headers.location,
          json() { return JSON.parse(text); } });
      });
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`${method} ${url}: timed out`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const unescapeHtml = (s) => s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_, e) => {
  const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e.toLowerCase()];
  if (named) return named;
  return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ?
    parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
});

// The first <form> of an (auto-submit) page: { action, method, fields }.
export function parseForm(html) {
  const f = html.match(/<form\b([^>]*)>([\s\S]*?)<\/form>/i);
  if (!f) return null;
  const attr = (tag, name) => {
    const m = tag.match(new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i'));
    return m ? unescapeHtml(m[2] ?? m[3]) : null;
  };
  const fields = {};
  for (const tag of f[2].match(/<input\b[^>]*>/gi) ?? []) {
    const name = attr(tag, 'name');
    if (name) fields[name] = attr(tag, 'value') ?? '';
  }
  return { action: attr(f[1], 'action'), method: (attr(f[1], 'method') ?? 'get').toLowerCase(),
    fields };
}

// Posts a parsed form where it says.
export function submitForm(form, extra = {}) {
  return request('POST', form.action, { form: { ...form.fields, ...extra } });
}

// The base64 SAML message with one character of its n-th <SignatureValue>
// changed (n = 0: the first one, the Response's when the Response is signed).
export function tamperSignature(b64, n = 0) {
  const xml = Buffer.from(b64, 'base64').toString('utf8');
  const re = /(<(?:\w+:)?SignatureValue\b[^>]*>)([^<]+)(<)/g;
  let i = 0;
  let done = false;
  const out = xml.replace(re, (all, open, value, close) => {
    if (i++ !== n) return all;
    done = true;
    const j = value.search(/[A-Za-z0-9]/);
    const c = value[j];
    return open + value.slice(0, j) + (c === 'A' ? 'B' : 'A') + value.slice(j + 1) + close;
  });
  if (!done) throw new Error(`no SignatureValue #${n} in the message`);
  return Buffer.from(out, 'utf8').toString('base64');
}

// The base64 SAML message with a text replaced (to break a digest).
export function tamperText(b64, from, to) {
  const xml = Buffer.from(b64, 'base64').toString('utf8');
  if (!xml.includes(from)) throw new Error(`"${from}" not in the message`);
  return Buffer.from(xml.split(from).join(to), 'utf8').toString('base64');
}

export const decodeSaml = (b64) => Buffer.from(b64, 'base64').toString('utf8');

// ---- servers ----

class Server {
  constructor(p, port, dir, what) {
    this.p = p;
    this.port = port;
    this.pid = p.proc.pid;
    this.dir = dir;
    this.what = what;
    this.url = `http://127.0.0.1:${port}`;
  }

  get(path) { return request('GET', this.url + path); }
  post(path, form) { return request('POST', this.url + path, { form }); }
  async metadata() {
    const r = await this.get('/metadata');
    if (r.status !== 200) throw new Error(`${this.what} /metadata: HTTP ${r.status} ${r.body}`);
    return r.body;
  }
  async state() { return (await this.get('/state')).json(); }
  output() { return this.p.stderr(); }

  async stop() {
    await stopProc(this.p);
    if (this.dir && !process.env.KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}

const SCRIPTS = {
  pysaml2: [PYTHON, join(here, 'pysaml2_sp.py')],
  'node-saml': [process.execPath, join(here, 'node_saml_sp.mjs')],
};

export const SP_KINDS = Object.keys(SCRIPTS);

// Starts one SP; options are the JSON config keys of the SP servers.
export async function startSp(kind, options = {}) {
  const script = SCRIPTS[kind];
  if (!script) throw new Error(`unknown SP kind ${kind}`);
  const dir = mkdtempSync(join(tmpdir(), `idgate-sp-${kind}-`));
  const cfg = { entity_id: `https://sp.example/${kind}`, port: 0, ...options };
  if (!cfg.key_file) Object.assign(cfg, await makeKeyPair(dir, 'sp'));
  writeFileSync(join(dir, 'sp.json'), JSON.stringify(cfg, null, 2));
  const p = spawnReady(script[0], [script[1], '--config', join(dir, 'sp.json')], `${kind} SP`);
  let port;
  try {
    port = await p.ready;
  } catch (e) {
    await stopProc(p);
    throw e;
  }
  const s = new Server(p, port, dir, `${kind} SP`);
  s.kind = kind;
  s.entityId = cfg.entity_id;
  s.config = cfg;
  s.cert = readFileSync(cfg.cert_file, 'utf8');
  return s;
}

// The pysaml2 IdP of selftest.mjs (see pysaml2_idp.py); register SPs with
// idp.register(await sp.metadata()).
export async function startTestIdp(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'idgate-pysaml2-idp-'));
  const cfg = { entity_id: 'https://idp.example/pysaml2', port: 0, ...options };
  if (!cfg.key_file) Object.assign(cfg, await makeKeyPair(dir, 'idp'));
  writeFileSync(join(dir, 'idp.json'), JSON.stringify(cfg, null, 2));
  const p = spawnReady(PYTHON, [join(here, 'pysaml2_idp.py'), '--config', join(dir, 'idp.json')],
    'pysaml2 IdP');
  let port;
  try {
    port = await p.ready;
  } catch (e) {
    await stopProc(p);
    throw e;
  }
  const s = new Server(p, port, dir, 'pysaml2 IdP');
  s.entityId = cfg.entity_id;
  s.register = async (xml) => {
    const r = await request('POST', `${s.url}/register`, { body: xml,
      headers: { 'Content-Type': 'application/samlmetadata+xml' } });
    if (r.status !== 200) throw new Error(`IdP /register: HTTP ${r.status} ${r.body}`);
  };
  return s;
}
