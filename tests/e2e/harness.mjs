// harness.mjs - starts the real pieces for end-to-end tests: a redis-server
// and `idgate serve` on free loopback ports, with a fresh TLS certificate,
// master key, SQLite file and config in a temporary folder. Everything is
// stopped by PID. Also an HTTPS client that keeps cookies like a browser.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import https from 'node:https';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const BIN = process.env.IDGATE_BIN;
if (!BIN) throw new Error('IDGATE_BIN must name the idgate binary');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { if (await fn()) return; } catch (e) { last = e; }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`);
}

function redisPing(port) {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => resolve(false));
    c.on('data', (d) => { c.destroy(); resolve(d.toString().startsWith('+PONG')); });
    c.on('connect', () => c.write('PING\r\n'));
  });
}

export class Redis {
  constructor(port, dir) { this.port = port; this.dir = dir; }
  // A crash: SIGKILL, nothing saved (no persistence is configured anyway).
  async kill() {
    if (!this.proc) return;
    this.proc.kill('SIGKILL');
    await this.exited;
    this.proc = null;
  }
  async start() {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1',
      '--save', '', '--appendonly', 'no', '--dir', this.dir, '--logfile', ''],
    { stdio: 'ignore' });
    this.exited = new Promise((r) => this.proc.on('exit', r));
    await waitFor(() => redisPing(this.port), 'redis-server');
  }
  async stop() {
    if (!this.proc) return;
    this.proc.kill('SIGTERM');
    await this.exited;
    this.proc = null;
  }
  pause() { this.proc.kill('SIGSTOP'); }
  resume() { this.proc.kill('SIGCONT'); }
}

export async function cli(dir, args, input, env = {}) {
  return new Promise((resolve) => {
    const p = execFile(BIN, [...args, '-c', join(dir, 'idgate.conf')],
      { timeout: 60000, env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
    if (input !== undefined) { p.stdin.write(input); }
    p.stdin.end();
  });
}

export function writeConfig(g, extra = '') {
  // The device-check listener (client certificates requested), when asked for.
  const device = g.devicePort ? `,
              { address = "127.0.0.1"; port = ${g.devicePort}; tls = true;
                cert = "server.crt"; key = "server.key"; client_certificates = true; }` : '';
  writeFileSync(join(g.dir, 'idgate.conf'), `
listeners = ( { address = "127.0.0.1"; port = ${g.port}; tls = true;
                cert = "server.crt"; key = "server.key"; }${device} );
workers = ${g.workers};
public_url = "https://127.0.0.1:${g.port}";
http = { max_body_bytes = 8192; max_header_bytes = 8192; drain_timeout_s = 10; };
redis = { port = ${g.redisPort}; command_timeout_ms = 300; connect_timeout_ms = 300; };
store = { sqlite_path = "idgate.db"; directory_refresh_ms = 200; maintenance_interval_s = 1; };
master_key_file = "master.key";
session = { idle_timeout_s = 600; absolute_lifetime_s = 3600; };
password = { argon2_t_cost = 1; argon2_m_cost_kib = 8192; };
signin = { max_failures = 3; lockout_s = 600; rate_limit_ip_per_min = 1000;
           rate_limit_account_per_min = ${g.accountRate ?? 8}; };
log = { format = "json"; level = "info"; access_log = "access.log"; };
${extra}
`);
}

export class Gateway {
  // env: extra environment of the gateway and its CLI runs (e.g. the test
  // clock IDGATE_TEST_CLOCK_OFFSET of test builds); may be changed between runs.
  // accountRate: sign-ins per account and minute (tests that sign one user in often).
  constructor({ workers = 2, deviceListener = false, accountRate } = {}) {
    this.workers = workers;
    this.deviceListener = deviceListener;
    this.accountRate = accountRate;
    this.output = '';
    this.env = {};
  }

  async setup() {
    this.dir = mkdtempSync(join(tmpdir(), 'idgate-e2e-'));
    this.port = await freePort();
    this.redisPort = await freePort();
    if (this.deviceListener) this.devicePort = await freePort();
    this.redis = new Redis(this.redisPort, this.dir);
    await this.redis.start();
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt',
      'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(this.dir, 'server.key'), '-out', join(this.dir, 'server.crt')]);
    this.ca = readFileSync(join(this.dir, 'server.crt'));
    const { stdout } = await run('openssl', ['rand', '-hex', '32']);
    writeFileSync(join(this.dir, 'master.key'), stdout);
    chmodSync(join(this.dir, 'master.key'), 0o600);
    writeConfig(this);
    const m = await cli(this.dir, ['migrate']);
    if (m.code !== 0) throw new Error('migrate failed: ' + m.stderr);
    return this;
  }

  cli(args, input) { return cli(this.dir, args, input, this.env); }

  // ready: the path that must answer 200 before start() returns.
  async start({ ready = '/readyz' } = {}) {
    // One gateway at a time: a test that failed before its stop() must not
    // leave a gateway behind that shares the port with the next one.
    await this.stop();
    // Its own process group, so crash() can kill the master and the workers at once.
    this.proc = spawn(BIN, ['serve', '-c', join(this.dir, 'idgate.conf')],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true,
        env: { ...process.env, ...this.env } });
    this.proc.stdout.on('data', (d) => { this.output += d; });
    this.proc.stderr.on('data', (d) => { this.output += d; });
    this.exited = new Promise((r) => this.proc.on('exit', (code, sig) => r({ code, sig })));
    await waitFor(async () => (await this.client().get(ready)).status === 200,
      `idgate ${ready}`);
  }

  // A crash of the whole gateway: SIGKILL to the master and every worker.
  async crash() {
    if (!this.proc) return;
    process.kill(-this.proc.pid, 'SIGKILL');
    await this.exited;
    this.proc = null;
  }

  async stop() {
    if (this.proc) {
      this.proc.kill('SIGTERM');
      const r = await this.exited;
      this.proc = null;
      return r;
    }
  }

  async teardown() {
    await this.stop();
    await this.redis.stop();
    // A worker that crashed and was restarted by the master must still fail the run.
    const bad = this.output.match(/.*(AddressSanitizer|LeakSanitizer|runtime error|exited \(status).*/);
    if (bad) {
      writeFileSync(join(this.dir, 'gateway.log'), this.output);
      throw new Error(`gateway reported a crash (log kept in ${this.dir}/gateway.log): ${bad[0]}`);
    }
    if (process.env.KEEP) writeFileSync(join(this.dir, 'gateway.log'), this.output);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  client() { return new Client(this.port, this.ca); }

  // For assertion messages: what an answer said and what the gateway logged last.
  explain(r) {
    const text = (r.body ?? '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').slice(0, 300);
    return `HTTP ${r.status}: ${text}\n--- gateway log, last lines ---\n` +
      this.output.split('\n').slice(-20).join('\n');
  }

  async tenant(cid, contract = 20) {
    const r = await this.cli(['tenant', 'create', '--company-id', cid, '--name',
      `${cid} Inc.`, '--contract', String(contract)]);
    if (r.code !== 0) throw new Error('tenant create: ' + r.stderr);
  }

  async user(cid, email, password, name = email.split('@')[0]) {
    const f = join(this.dir, 'pw.txt');
    writeFileSync(f, password + '\n');
    const r = await this.cli(['user', 'add', '--tenant', cid, '--email', email, '--name', name,
      '--password-file', f]);
    rmSync(f);
    return r;
  }
}

// An HTTPS client with a cookie jar; trusts only the gateway's certificate.
export class Client {
  constructor(port, ca) {
    this.port = port;
    this.ca = ca;
    this.jar = new Map();
    this.agent = new https.Agent({ ca, keepAlive: true });
  }

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  request(method, path, { body, headers = {}, form } = {}) {
    if (form) {
      body = new URLSearchParams(form).toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    const h = { ...headers };
    if (this.jar.size && !h.Cookie) h.Cookie = this.cookieHeader();
    if (body !== undefined) h['Content-Length'] = Buffer.byteLength(body);
    return new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: this.port, method, path,
        headers: h, agent: this.agent, ca: this.ca, servername: 'localhost' }, (res) => {
        const chunks = [];
        // A gateway killed in the middle of a body: an error, not a promise left pending.
        res.on('error', reject);
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          for (const sc of res.headers['set-cookie'] ?? []) {
            const [nv, ...attrs] = sc.split(';');
            const i = nv.indexOf('=');
            const name = nv.slice(0, i).trim();
            const value = nv.slice(i + 1).trim();
            if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.jar.delete(name);
            else this.jar.set(name, value);
          }
          resolve({ status: res.statusCode, headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.on('error', reject);
      req.setTimeout(20000, () => req.destroy(new Error('request timed out')));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  get(path, opts) { return this.request('GET', path, opts); }
  post(path, form, opts = {}) { return this.request('POST', path, { ...opts, form }); }

  static csrf(html) {
    const m = html.match(/name="csrf"[^>]*value="([^"]+)"/) ||
      html.match(/value="([^"]+)"[^>]*name="csrf"/);
    return m ? m[1] : null;
  }

  async login(cid, email, password) {
    const page = await this.get(`/t/${cid}/login`);
    const csrf = Client.csrf(page.body);
    return this.post(`/t/${cid}/login`, { email, password, csrf });
  }
}

// ---- helpers for the OpenID Provider tests (oidc.test.mjs) ----

export { waitFor };

// Undoes the HTML escaping of an attribute value (idg_html_escape).
export function htmlUnescape(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e.toLowerCase()];
    if (named) return named;
    return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ?
      parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

// The value of the <input name="..."> in a page, unescaped; null when absent.
export function inputValue(html, name) {
  for (const tag of html.match(/<input\b[^>]*>/g) ?? []) {
    if (!new RegExp(`\\bname="${name}"`).test(tag)) continue;
    const m = tag.match(/\bvalue="([^"]*)"/);
    return m ? htmlUnescape(m[1]) : '';
  }
  return null;
}

// One command to the test's redis-server (RESP); resolves with the reply:
// a string, a number, null, or an array of those. Errors reject.
export function redisCommand(port, ...args) {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const parse = (b, i) => {
      const nl = b.indexOf('\r\n', i);
      if (nl < 0) return null;
      const t = String.fromCharCode(b[i]);
      const line = b.toString('utf8', i + 1, nl);
      if (t === '+') return [line, nl + 2];
      if (t === '-') return [new Error(line), nl + 2];
      if (t === ':') return [Number(line), nl + 2];
      if (t === '$') {
        const n = Number(line);
        if (n < 0) return [null, nl + 2];
        if (b.length < nl + 2 + n + 2) return null;
        return [b.toString('utf8', nl + 2, nl + 2 + n), nl + 2 + n + 2];
      }
      if (t === '*') {
        const n = Number(line);
        if (n < 0) return [null, nl + 2];
        const out = [];
        let j = nl + 2;
        for (let k = 0; k < n; k++) {
          const r = parse(b, j);
          if (!r) return null;
          out.push(r[0]);
          j = r[1];
        }
        return [out, j];
      }
      return [new Error('bad RESP reply'), b.length];
    };
    c.on('error', reject);
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parse(buf, 0);
      if (!r) return;
      c.destroy();
      if (r[0] instanceof Error) reject(r[0]);
      else resolve(r[0]);
    });
    c.on('connect', () => {
      let cmd = `*${args.length}\r\n`;
      for (const a of args) cmd += `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`;
      c.write(cmd);
    });
  });
}
