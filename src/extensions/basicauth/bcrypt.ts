/**
 * bcrypt verification ($2a$, $2b$, $2y$), for htpasswd files made with `htpasswd -B` (node:crypto has no bcrypt and
 * no package is installed). Blowfish's initial P-array and S-boxes are the hexadecimal digits of pi; rather than
 * embedding 1042 constants they are computed once, on first use, with BigInt (Machin's formula, ~10 ms).
 *
 * Contract: `bcryptVerify(password, hash)` returns whether `password` matches a 60-character bcrypt hash; it throws
 * on a malformed hash (the htpasswd loader reports it at start). Cost 4..31 as in the spec. Passwords are UTF-8,
 * NUL-terminated and cut at 72 bytes, as every bcrypt does. Checked against the OpenBSD test vectors in the tests.
 */
import { timingSafeEqual } from 'node:crypto';

const B64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

let PI_WORDS: Uint32Array | undefined;

/** 18 + 4*256 32-bit words: the fractional hex digits of pi. */
function piWords(): Uint32Array {
  if (PI_WORDS) return PI_WORDS;
  const n = 18 + 1024;
  const bits = BigInt(n * 32 + 64);
  const one = 1n << bits;
  const atanInv = (x: bigint): bigint => {
    const x2 = x * x;
    let term = one / x;
    let sum = term;
    for (let k = 1n, sign = -1n; term !== 0n; k++, sign = -sign) {
      term /= x2;
      sum += (sign * term) / (2n * k + 1n);
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n);
  const frac = (pi - 3n * one) >> 64n;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = Number((frac >> BigInt((n - 1 - i) * 32)) & 0xffffffffn);
  return (PI_WORDS = out);
}

function decodeB64(s: string, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let acc = 0;
  let nbits = 0;
  let o = 0;
  for (const ch of s) {
    const v = B64_INDEX.get(ch);
    if (v === undefined) throw new Error(`invalid bcrypt base64 character "${ch}"`);
    acc = (acc << 6) | v;
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      if (o < bytes) out[o++] = (acc >> nbits) & 0xff;
    }
  }
  return out;
}

function encodeB64(b: Uint8Array): string {
  let out = '';
  let acc = 0;
  let nbits = 0;
  for (const byte of b) {
    acc = ((acc & 0xffff) << 8) | byte;
    nbits += 8;
    while (nbits >= 6) {
      nbits -= 6;
      out += B64[(acc >> nbits) & 0x3f];
    }
  }
  if (nbits > 0) out += B64[(acc << (6 - nbits)) & 0x3f];
  return out;
}

class Blowfish {
  readonly P: Uint32Array;
  readonly S: Uint32Array;
  constructor() {
    const w = piWords();
    this.P = w.slice(0, 18);
    this.S = w.slice(18);
  }

  private f(x: number): number {
    const S = this.S;
    return ((((S[x >>> 24]! + S[256 | ((x >>> 16) & 0xff)]!) >>> 0) ^ S[512 | ((x >>> 8) & 0xff)]!) + S[768 | (x & 0xff)]!) >>> 0;
  }

  encipher(lr: Uint32Array, off: number): void {
    const P = this.P;
    let l = lr[off]!;
    let r = lr[off + 1]!;
    l = (l ^ P[0]!) >>> 0;
    for (let i = 0; i <= 14; i += 2) {
      r = (r ^ this.f(l) ^ P[i + 1]!) >>> 0;
      l = (l ^ this.f(r) ^ P[i + 2]!) >>> 0;
    }
    lr[off] = (r ^ P[17]!) >>> 0;
    lr[off + 1] = l;
  }

  /** Next 32-bit word of `data` read cyclically from `pos[0]`. */
  private static word(data: Uint8Array, pos: { i: number }): number {
    let w = 0;
    for (let k = 0; k < 4; k++) {
      w = ((w << 8) | data[pos.i]!) >>> 0;
      pos.i = (pos.i + 1) % data.length;
    }
    return w;
  }

  expand(key: Uint8Array, salt: Uint8Array | undefined): void {
    const kp = { i: 0 };
    for (let i = 0; i < 18; i++) this.P[i] = (this.P[i]! ^ Blowfish.word(key, kp)) >>> 0;
    const lr = new Uint32Array(2);
    const sp = { i: 0 };
    const step = (dst: Uint32Array, i: number) => {
      if (salt) {
        lr[0] = (lr[0]! ^ Blowfish.word(salt, sp)) >>> 0;
        lr[1] = (lr[1]! ^ Blowfish.word(salt, sp)) >>> 0;
      }
      this.encipher(lr, 0);
      dst[i] = lr[0]!;
      dst[i + 1] = lr[1]!;
    };
    for (let i = 0; i < 18; i += 2) step(this.P, i);
    for (let i = 0; i < 1024; i += 2) step(this.S, i);
  }
}

const HASH_RE = /^\$2([aby])\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

export function isBcrypt(hash: string): boolean {
  return /^\$2[abyx]\$/.test(hash);
}

export function bcryptHash(password: string, cost: number, salt22: string, minor = 'b'): string {
  const salt = decodeB64(salt22, 16);
  const pw = Buffer.from(password, 'utf8');
  const key = new Uint8Array(Math.min(pw.length + 1, 72));
  key.set(pw.subarray(0, key.length));
  if (pw.length < 72) key[pw.length] = 0;
  const bf = new Blowfish();
  bf.expand(key, salt);
  const rounds = 2 ** cost;
  for (let i = 0; i < rounds; i++) {
    bf.expand(key, undefined);
    bf.expand(salt, undefined);
  }
  const ctext = Uint32Array.from([0x4f727068, 0x65616e42, 0x65686f6c, 0x64657253, 0x63727944, 0x6f756274]);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 6; j += 2) bf.encipher(ctext, j);
  const out = new Uint8Array(24);
  for (let i = 0; i < 6; i++) {
    out[i * 4] = ctext[i]! >>> 24;
    out[i * 4 + 1] = (ctext[i]! >>> 16) & 0xff;
    out[i * 4 + 2] = (ctext[i]! >>> 8) & 0xff;
    out[i * 4 + 3] = ctext[i]! & 0xff;
  }
  // Re-encode the salt too: its last character only carries 2 significant bits.
  return `$2${minor}$${String(cost).padStart(2, '0')}$${encodeB64(salt).slice(0, 22)}${encodeB64(out.subarray(0, 23))}`;
}

export function bcryptVerify(password: string, hash: string): boolean {
  const m = HASH_RE.exec(hash);
  if (!m) throw new Error('malformed bcrypt hash (expected $2a$, $2b$ or $2y$, a 2-digit cost and 53 characters)');
  const cost = Number(m[2]);
  if (cost < 4 || cost > 31) throw new Error(`bcrypt cost ${cost} outside 4..31`);
  const got = Buffer.from(bcryptHash(password, cost, m[3]!, m[1]!));
  const want = Buffer.from(hash);
  return got.length === want.length && timingSafeEqual(got, want);
}
