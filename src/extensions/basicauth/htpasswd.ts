/**
 * htpasswd files (Apache format, as the Collector's basicauth reads them through go-htpasswd): `user:hash` per line,
 * `#` comments and blank lines ignored. Hash schemes accepted (the go-htpasswd default set):
 *   bcrypt  $2a$ / $2b$ / $2y$         (htpasswd -B)
 *   MD5     $apr1$ (and $1$ md5-crypt) (htpasswd -m, openssl passwd -apr1)
 *   SHA     {SHA} base64(sha1)         (htpasswd -s)      SSHA  {SSHA} base64(sha1(pw+salt)+salt)
 *   SHA-crypt $5$ / $6$ (rounds=N$ optional)               (openssl passwd -5 / -6)
 * Plain-text passwords are refused, as go-htpasswd does by default.
 *
 * Contract: `parseHtpasswd(text, source)` throws naming `source:line` for a malformed line or unknown scheme (never
 * quoting the hash); `verify(password, hash)` compares in constant time where the scheme allows.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { bcryptVerify, isBcrypt } from './bcrypt.ts';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function parseHtpasswd(text: string, source: string): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = line.indexOf(':');
    if (at <= 0) throw new Error(`${source}:${i + 1}: expected "user:hash"`);
    const user = line.slice(0, at);
    const hash = line.slice(at + 1);
    if (schemeOf(hash) === undefined) {
      throw new Error(`${source}:${i + 1}: user "${user}" has an unsupported or plain-text password; use bcrypt (htpasswd -B), $apr1$, {SHA}, {SSHA}, $5$ or $6$`);
    }
    users.set(user, hash);
  });
  return users;
}

type Scheme = 'bcrypt' | 'md5' | 'sha' | 'ssha' | 'sha-crypt';

function schemeOf(hash: string): Scheme | undefined {
  if (isBcrypt(hash)) return 'bcrypt';
  if (hash.startsWith('$apr1$') || hash.startsWith('$1$')) return 'md5';
  if (hash.startsWith('{SHA}')) return 'sha';
  if (hash.startsWith('{SSHA}')) return 'ssha';
  if (hash.startsWith('$5$') || hash.startsWith('$6$')) return 'sha-crypt';
  return undefined;
}

function eq(a: string | Buffer, b: string | Buffer): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function verify(password: string, hash: string): boolean {
  switch (schemeOf(hash)) {
    case 'bcrypt':
      return bcryptVerify(password, hash);
    case 'md5': {
      const magic = hash.startsWith('$apr1$') ? '$apr1$' : '$1$';
      const salt = hash.slice(magic.length).split('$')[0]!;
      return eq(md5Crypt(password, salt, magic), hash);
    }
    case 'sha':
      return eq(createHash('sha1').update(password).digest('base64'), hash.slice(5));
    case 'ssha': {
      const raw = Buffer.from(hash.slice(6), 'base64');
      if (raw.length <= 20) return false;
      const salt = raw.subarray(20);
      return eq(createHash('sha1').update(password).update(salt).digest(), raw.subarray(0, 20));
    }
    case 'sha-crypt':
      return eq(shaCrypt(password, hash), hash);
    default:
      return false;
  }
}

function to64(v: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++, v >>>= 6) s += ITOA64[v & 0x3f];
  return s;
}

/** FreeBSD md5-crypt / Apache apr1 (same algorithm, different magic). */
export function md5Crypt(password: string, saltIn: string, magic: string): string {
  const pw = Buffer.from(password, 'utf8');
  const salt = Buffer.from(saltIn.slice(0, 8), 'utf8');
  const md5 = () => createHash('md5');
  let fin = md5().update(pw).update(salt).update(pw).digest();
  const ctx = md5().update(pw).update(magic).update(salt);
  for (let pl = pw.length; pl > 0; pl -= 16) ctx.update(fin.subarray(0, Math.min(pl, 16)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  fin = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = md5();
    c.update(i & 1 ? pw : fin);
    if (i % 3) c.update(salt);
    if (i % 7) c.update(pw);
    c.update(i & 1 ? fin : pw);
    fin = c.digest();
  }
  const f = fin;
  const out =
    to64((f[0]! << 16) | (f[6]! << 8) | f[12]!, 4) +
    to64((f[1]! << 16) | (f[7]! << 8) | f[13]!, 4) +
    to64((f[2]! << 16) | (f[8]! << 8) | f[14]!, 4) +
    to64((f[3]! << 16) | (f[9]! << 8) | f[15]!, 4) +
    to64((f[4]! << 16) | (f[10]! << 8) | f[5]!, 4) +
    to64(f[11]!, 2);
  return `${magic}${salt.toString('utf8')}$${out}`;
}

const PERM_256 = [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]];
const PERM_512 = [[0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41]];

/** Ulrich Drepper's SHA-crypt ($5$ SHA-256, $6$ SHA-512); returns the full hash string for `setting`'s salt/rounds. */
export function shaCrypt(password: string, setting: string): string {
  const m = /^\$([56])\$(rounds=(\d+)\$)?([^$]{0,16})/.exec(setting);
  if (!m) return '';
  const alg = m[1] === '5' ? 'sha256' : 'sha512';
  const size = alg === 'sha256' ? 32 : 64;
  const rounds = m[3] === undefined ? 5000 : Math.min(999_999_999, Math.max(1000, Number(m[3])));
  const pw = Buffer.from(password, 'utf8');
  const salt = Buffer.from(m[4]!, 'utf8');
  const H = () => createHash(alg);
  const repeat = (src: Buffer, len: number): Buffer => {
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i += size) src.copy(out, i, 0, Math.min(size, len - i));
    return out;
  };
  const B = H().update(pw).update(salt).update(pw).digest();
  const a = H().update(pw).update(salt).update(repeat(B, pw.length));
  for (let i = pw.length; i > 0; i >>= 1) a.update(i & 1 ? B : pw);
  const A = a.digest();
  const dp = H();
  for (let i = 0; i < pw.length; i++) dp.update(pw);
  const P = repeat(dp.digest(), pw.length);
  const ds = H();
  for (let i = 0; i < 16 + A[0]!; i++) ds.update(salt);
  const S = repeat(ds.digest(), salt.length);
  let C = A;
  for (let r = 0; r < rounds; r++) {
    const c = H();
    c.update(r & 1 ? P : C);
    if (r % 3) c.update(S);
    if (r % 7) c.update(P);
    c.update(r & 1 ? C : P);
    C = c.digest();
  }
  let out = '';
  for (const [x, y, z] of alg === 'sha256' ? PERM_256 : PERM_512) out += to64((C[x!]! << 16) | (C[y!]! << 8) | C[z!]!, 4);
  out += alg === 'sha256' ? to64((C[31]! << 8) | C[30]!, 3) : to64(C[63]!, 2);
  return `$${m[1]}$${m[3] === undefined ? '' : `rounds=${rounds}$`}${salt.toString('utf8')}$${out}`;
}
