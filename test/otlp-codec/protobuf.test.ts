/** Tests for src/codec/protobuf: known encodings from the protobuf spec, round trips, protobufjs cross-check, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import {
  ProtoDecodeError,
  ProtoReader,
  ProtoWriter,
  readPackedDoubles,
  readPackedFixed64Numbers,
  readPackedVarintNumbers,
  type MessageDesc,
} from '../../src/codec/protobuf/index.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function encode(f: (w: ProtoWriter) => void, size = 16): Uint8Array {
  const w = new ProtoWriter(size);
  f(w);
  return w.finish().slice();
}

test('known encodings from the protobuf encoding guide', () => {
  // "message Test1 { int32 a = 1; }" with a = 150 -> 08 96 01
  assert.equal(hex(encode((w) => w.uint32Field(1, 150))), '089601');
  // "message Test2 { string b = 2; }" with b = "testing"
  assert.equal(hex(encode((w) => w.stringField(2, 'testing'))), '120774657374696e67');
  // "message Test3 { Test1 c = 3; }"
  assert.equal(
    hex(
      encode((w) => {
        w.tag(3, 2);
        const at = w.fork();
        w.uint32Field(1, 150);
        w.ldelim(at);
      }),
    ),
    '1a03089601',
  );
  // int32 -2 is a 10-byte varint; sint32 -2 zigzags to 3
  assert.equal(hex(encode((w) => w.int32(-2))), 'feffffffffffffffff01');
  assert.equal(hex(encode((w) => w.sint32(-2))), '03');
  assert.equal(hex(encode((w) => w.int64(-1n))), 'ffffffffffffffffff01');
  assert.equal(hex(encode((w) => w.sint64(-1n))), '01');
  assert.equal(hex(encode((w) => w.varint(300))), 'ac02');
  // packed repeated int32 example: field 4 = [3, 270, 86942] -> 22 06 03 8e 02 9e a7 05
  assert.equal(hex(encode((w) => w.packedVarints(4, [3, 270, 86942]))), '2206038e029ea705');
});

test('varints round trip at every boundary', () => {
  const nums = [0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35 + 5, 2 ** 53 - 1];
  const big = [0n, 1n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];
  const signed = [0n, -1n, 1n, -(2n ** 63n), 2n ** 63n - 1n, -(2n ** 53n) - 3n, 123456789012345678n];
  const i32 = [0, -1, 1, -(2 ** 31), 2 ** 31 - 1, -300];
  const bytes = encode((w) => {
    for (const n of nums) w.varint(n);
    for (const n of big) w.uint64(n);
    for (const n of signed) w.int64(n);
    for (const n of signed) w.sint64(n);
    for (const n of i32) w.int32(n);
    for (const n of i32) w.sint32(n);
    w.bool(true);
    w.bool(false);
  });
  const r = new ProtoReader(bytes);
  for (const n of nums) assert.equal(r.varint(), n);
  for (const n of big) assert.equal(r.uint64(), n);
  for (const n of signed) assert.equal(r.int64(), n);
  for (const n of signed) assert.equal(r.sint64(), n);
  for (const n of i32) assert.equal(r.int32(), n);
  for (const n of i32) assert.equal(r.sint32(), n);
  assert.equal(r.bool(), true);
  assert.equal(r.bool(), false);
  assert.equal(r.pos, bytes.length);
  // uint32 keeps the low 32 bits of a longer varint (Go semantics)
  assert.equal(new ProtoReader(encode((w) => w.uint64(2n ** 32n + 7n))).uint32(), 7);
});

test('fixed-width values round trip, including unsigned > 2^63 and NaN/Inf', () => {
  const u64 = [0n, 1n, 2n ** 63n + 12345n, 2n ** 64n - 1n];
  const s64 = [-1n, -(2n ** 63n), 2n ** 63n - 1n];
  const doubles = [0, -0, 1.5, -1e300, Number.MIN_VALUE, Infinity, -Infinity, NaN];
  const bytes = encode((w) => {
    for (const v of u64) w.fixed64(v);
    for (const v of s64) w.sfixed64(v);
    for (const v of doubles) w.double(v);
    w.fixed32(0xfffffffe);
    w.sfixed32(-5);
    w.float(0.5);
    w.fixed64Number(2 ** 53 - 1);
  });
  const r = new ProtoReader(bytes);
  for (const v of u64) assert.equal(r.fixed64(), v);
  for (const v of s64) assert.equal(r.sfixed64(), v);
  for (const v of doubles) assert.ok(Object.is(r.double(), v));
  assert.equal(r.fixed32(), 0xfffffffe);
  assert.equal(r.sfixed32(), -5);
  assert.equal(r.float(), 0.5);
  assert.equal(r.fixed64Number(), 2 ** 53 - 1);
});

test('strings: ASCII, multi-byte, long (multi-byte length prefix), lone surrogate, BOM kept', () => {
  const long = 'x'.repeat(200);
  const longUni = 'é✓😀'.repeat(50);
  const strs = ['', 'a', 'service.name', 'héllo ✓ 😀', long, longUni, 'k'.repeat(42), 'é'.repeat(42), '\ufeffbom'];
  const bytes = encode((w) => {
    for (const s of strs) w.stringField(1, s);
    w.stringField(1, 'a\ud800b');
  });
  const r = new ProtoReader(bytes);
  for (const s of strs) {
    assert.equal(r.tag(), (1 << 3) | 2);
    assert.equal(r.string(), s);
  }
  r.tag();
  assert.equal(r.string(), 'a\ufffdb');
  assert.equal(r.pos, bytes.length);
  // same bytes twice give equal strings (interned path)
  const r2 = new ProtoReader(encode((w) => (w.string('http.method'), w.string('http.method'))));
  assert.equal(r2.string(), r2.string());
});

test('invalid UTF-8 in a string field is a ProtoDecodeError', () => {
  for (const bad of ['0a01ff', '0a02c328', '0a03eda080', '0a02c0af', '0a02e282']) {
    const r = new ProtoReader(fromHex(bad), { name: 'M', fields: { 1: 'name' } });
    r.tag();
    assert.throws(
      () => r.string(),
      (e: unknown) => e instanceof ProtoDecodeError && /invalid UTF-8/.test(e.message) && /M\.name/.test(e.message),
    );
  }
});

test('nested messages: fork/ldelim for short, >=128 and >=16384 bodies; enter/leave', () => {
  for (const n of [0, 5, 127, 128, 300, 16383, 16384, 70000]) {
    const payload = new Uint8Array(n).fill(7);
    const bytes = encode((w) => {
      w.tag(1, 2);
      const outer = w.fork();
      w.tag(2, 2);
      const inner = w.fork();
      w.raw(payload);
      w.ldelim(inner);
      w.uint32Field(3, 9);
      w.ldelim(outer);
      w.uint32Field(4, 1);
    }, 8);
    const desc: MessageDesc = { name: 'Outer', fields: { 2: 'inner', 3: 'x' } };
    const r = new ProtoReader(bytes);
    assert.equal(r.tag(), 0x0a);
    r.enter(desc);
    assert.equal(r.tag(), 0x12);
    const v = r.bytesView();
    assert.equal(v.length, n);
    assert.ok(v.every((b) => b === 7));
    assert.equal(r.tag(), 0x18);
    assert.equal(r.uint32(), 9);
    assert.equal(r.pos, r.limit);
    r.leave();
    assert.equal(r.tag(), 0x20);
    assert.equal(r.uint32(), 1);
    assert.equal(r.pos, bytes.length);
  }
});

test('fork(reserve) gives the same minimal bytes as fork() for every body size', () => {
  for (const n of [0, 1, 127, 128, 16383, 16384, 2 ** 21 - 1, 2 ** 21]) {
    const body = new Uint8Array(n).fill(3);
    const out: string[] = [];
    for (const reserve of [1, 2, 3, 4, 5]) {
      const w = new ProtoWriter(4);
      w.uint32Field(1, 1);
      w.tag(2, 2);
      const at = w.fork(reserve);
      w.raw(body);
      w.ldelim(at);
      w.uint32Field(3, 2);
      const bytes = w.finish();
      const r = new ProtoReader(bytes);
      r.tag();
      r.uint32();
      r.tag();
      assert.equal(r.bytesView().length, n);
      r.tag();
      assert.equal(r.uint32(), 2);
      out.push(hex(bytes.subarray(0, 8)) + hex(bytes.subarray(bytes.length - 4)) + bytes.length);
    }
    assert.equal(new Set(out).size, 1, `sizes differ for n=${n}`);
  }
});

test('packed repeated fields are written packed and read packed or unpacked', () => {
  const d = [1.5, -2, NaN, Infinity];
  const f = [0, 1, 2 ** 40, 2 ** 53 - 1];
  const v = [0, 1, 300, 2 ** 33];
  const packed = encode((w) => {
    w.packedDoubles(1, d);
    w.packedFixed64Numbers(2, f);
    w.packedVarints(3, v);
    w.packedDoubles(4, []);
  });
  const unpacked = encode((w) => {
    for (const x of d) w.doubleField(1, x);
    for (const x of f) (w.tag(2, 1), w.fixed64Number(x));
    for (const x of v) (w.tag(3, 0), w.varint(x));
  });
  assert.equal(packed[0], 0x0a); // field 1, LEN
  for (const bytes of [packed, unpacked]) {
    const r = new ProtoReader(bytes);
    const od: number[] = [];
    const of: number[] = [];
    const ov: number[] = [];
    while (r.pos < r.limit) {
      const t = r.tag();
      if (t >>> 3 === 1) readPackedDoubles(r, od);
      else if (t >>> 3 === 2) readPackedFixed64Numbers(r, of);
      else readPackedVarintNumbers(r, ov);
    }
    assert.deepEqual(od, d);
    assert.deepEqual(of, f);
    assert.deepEqual(ov, v);
  }
});

test('unknown fields of every wire type are skipped, groups included', () => {
  const bytes = fromHex(
    [
      '08 96 01', // 1: varint
      '11 0102030405060708', // 2: fixed64
      '1a 03 616263', // 3: LEN
      '23 08 01 2b 10 02 2c 24', // 4: group { 1: 1, 5: group { 2: 2 } }
      '2d 01020304', // 5: fixed32
      '30 ffffffffffffffffff01', // 6: 10-byte varint
      '38 2a', // 7: the known field
    ].join(''),
  );
  const r = new ProtoReader(bytes, { name: 'M', fields: { 7: 'known' } });
  let known = -1;
  while (r.pos < r.limit) {
    if (r.tag() === 0x38) known = r.uint32();
    else r.skipUnknown();
  }
  assert.equal(known, 42);
});

test('protobufjs cross-check: its writer -> our reader and our writer -> its reader', () => {
  const W = protobuf.Writer.create();
  W.uint32(8).uint64('18446744073709551615');
  W.uint32(16).int64('-9223372036854775808');
  W.uint32(24).sint64('-123456789012345');
  W.uint32(33).fixed64('18000000000000000001');
  W.uint32(41).double(-0.125);
  W.uint32(50).string('héllo ✓ 😀'.repeat(20));
  W.uint32(56).int32(-7);
  const theirs = W.finish();
  const r = new ProtoReader(theirs);
  r.tag();
  assert.equal(r.uint64(), 2n ** 64n - 1n);
  r.tag();
  assert.equal(r.int64(), -(2n ** 63n));
  r.tag();
  assert.equal(r.sint64(), -123456789012345n);
  r.tag();
  assert.equal(r.fixed64(), 18000000000000000001n);
  r.tag();
  assert.equal(r.double(), -0.125);
  r.tag();
  assert.equal(r.string(), 'héllo ✓ 😀'.repeat(20));
  r.tag();
  assert.equal(r.int32(), -7);

  const ours = encode((w) => {
    w.tag(1, 0), w.uint64(2n ** 64n - 1n);
    w.tag(2, 0), w.int64(-(2n ** 63n));
    w.tag(3, 0), w.sint64(-123456789012345n);
    w.tag(4, 1), w.fixed64(18000000000000000001n);
    w.tag(5, 1), w.double(-0.125);
    w.stringField(6, 'héllo ✓ 😀'.repeat(20));
    w.tag(7, 0), w.int32(-7);
  });
  assert.equal(hex(ours), hex(theirs));
  const R = protobuf.Reader.create(ours);
  R.uint32();
  assert.equal(R.uint64().toString(), '18446744073709551615');
  R.uint32();
  assert.equal(R.int64().toString(), '-9223372036854775808');
  R.uint32();
  assert.equal(R.sint64().toString(), '-123456789012345');
  R.uint32();
  assert.equal(R.fixed64().toString(), '18000000000000000001');
});

test('writer grows from a tiny buffer and reset reuses it', () => {
  const w = new ProtoWriter(1);
  for (let i = 0; i < 100000; i++) w.uint32Field(1, i);
  const bytes = w.finish();
  const r = new ProtoReader(bytes);
  for (let i = 0; i < 100000; i++) {
    r.tag();
    assert.equal(r.uint32(), i);
  }
  w.reset();
  w.uint32Field(2, 5);
  assert.equal(hex(w.finish()), '1005');
});

const errorCases: Array<{ name: string; hex: string; read: (r: ProtoReader) => void; re: RegExp }> = [
  { name: 'truncated varint', hex: '0896', read: (r) => (r.tag(), r.uint32()), re: /truncated varint at offset 1/ },
  { name: 'varint > 10 bytes', hex: '08ffffffffffffffffffff01', read: (r) => (r.tag(), r.varint()), re: /longer/ },
  { name: '10th byte overflows', hex: '08ffffffffffffffffff02', read: (r) => (r.tag(), r.uint64()), re: /overflows/ },
  { name: 'length past end', hex: '0a05616263', read: (r) => (r.tag(), r.string()), re: /length 5 exceeds/ },
  { name: 'huge length', hex: '0affffffff0f', read: (r) => (r.tag(), r.bytes()), re: /exceeds/ },
  { name: 'field number 0', hex: '0001', read: (r) => r.tag(), re: /invalid field number 0 at offset 0/ },
  { name: 'wire type 6', hex: '0e', read: (r) => r.tag(), re: /invalid wire type 6/ },
  { name: 'wire type 7', hex: '0f', read: (r) => r.tag(), re: /invalid wire type 7/ },
  { name: 'truncated fixed64', hex: '09010203', read: (r) => (r.tag(), r.fixed64()), re: /truncated: need 8/ },
  { name: 'truncated fixed32', hex: '0d0102', read: (r) => (r.tag(), r.fixed32()), re: /truncated: need 4/ },
  { name: 'unexpected end group', hex: '14', read: (r) => (r.tag(), r.skipUnknown()), re: /unexpected end-group/ },
  { name: 'unterminated group', hex: '130801', read: (r) => (r.tag(), r.skipUnknown()), re: /truncated group/ },
  { name: 'mismatched end group', hex: '131c', read: (r) => (r.tag(), r.skipUnknown()), re: /closes group 2/ },
  { name: 'packed doubles bad len', hex: '0a03000000', read: (r) => (r.tag(), readPackedDoubles(r, [])), re: /multiple/ },
  {
    name: 'wrong wire type for known field',
    hex: '0d00000000',
    read: (r) => (r.tag(), r.skipUnknown()),
    re: /wrong wire type 5 for a known field at offset 0 while reading M\.name \(field 1, wire type 5\)/,
  },
  {
    name: 'value crosses the end of its sub-message',
    hex: '0a0209010203040506070809',
    read: (r) => (r.tag(), r.enter({ name: 'Sub', fields: { 1: 't' } }), r.tag(), r.fixed64()),
    re: /truncated: need 8 bytes, 1 left at offset 3 while reading Sub\.t/,
  },
  {
    name: 'packed varints cannot run past the field',
    hex: '0a01ff01',
    read: (r) => (r.tag(), readPackedVarintNumbers(r, [])),
    re: /truncated varint/,
  },
];

for (const c of errorCases) {
  test(`error: ${c.name}`, () => {
    const r = new ProtoReader(fromHex(c.hex), { name: 'M', fields: { 1: 'name' } });
    assert.throws(
      () => c.read(r),
      (e: unknown) => {
        assert.ok(e instanceof ProtoDecodeError, `not a ProtoDecodeError: ${String(e)}`);
        assert.match(e.message, c.re);
        assert.equal(typeof e.offset, 'number');
        return true;
      },
    );
  });
}

test('error: nesting deeper than maxDepth', () => {
  // 10 nested empty-ish messages, maxDepth 5
  let bytes = new Uint8Array(0);
  for (let i = 0; i < 10; i++) bytes = Uint8Array.from([0x0a, bytes.length, ...bytes]);
  const r = new ProtoReader(bytes, { name: 'M', fields: { 1: 'child' } }, 5);
  assert.throws(() => {
    for (;;) {
      r.tag();
      r.enter({ name: 'M', fields: { 1: 'child' } });
    }
  }, /nesting deeper than 5/);
});

test('deep nesting restores every parent limit; readers interleaved share no 64-bit state', () => {
  // 40 levels (past any small initial stack): each level is { 1: child, 2: int64 -(depth + 2^40) }, child first.
  const M: MessageDesc = { name: 'M', fields: { 1: 'child', 2: 'v' } };
  const levels = 40;
  let body: Uint8Array = new Uint8Array(0);
  for (let d = levels - 1; d >= 0; d--) {
    const inner = body;
    body = encode((w) => {
      if (inner.length > 0) {
        w.tag(1, 2);
        const at = w.fork();
        w.raw(inner);
        w.ldelim(at);
      }
      w.int64Field(2, -BigInt(d) - 2n ** 40n);
    }, 8);
  }
  const walk = (r: ProtoReader): bigint[] => {
    const seen: bigint[] = [];
    const rec = (): void => {
      while (r.pos < r.limit) {
        const t = r.tag();
        if (t === 0x0a) {
          r.enter(M);
          rec();
          r.leave();
        } else if (t === 0x10) {
          seen.push(r.int64());
        } else r.skipUnknown();
      }
    };
    rec();
    assert.equal(r.nesting, 0);
    return seen;
  };
  const expected = Array.from({ length: levels }, (_, i) => -BigInt(levels - 1 - i) - 2n ** 40n);
  assert.deepStrictEqual(walk(new ProtoReader(body, M)), expected);
  // Interleave: read one value of a second reader between every read of the first.
  const r1 = new ProtoReader(body, M);
  const r2 = new ProtoReader(encode((w) => w.int64Field(2, 2n ** 62n + 5n)), M);
  const seen: bigint[] = [];
  const rec = (): void => {
    while (r1.pos < r1.limit) {
      const t = r1.tag();
      if (t === 0x0a) {
        r1.enter(M);
        rec();
        r1.leave();
      } else if (t === 0x10) {
        // r2 decodes a 64-bit varint between r1's tag and r1's value.
        r2.pos = 0;
        r2.limit = r2.buf.length;
        assert.equal(r2.tag(), 0x10);
        assert.equal(r2.int64(), 2n ** 62n + 5n);
        seen.push(r1.int64());
      } else r1.skipUnknown();
    }
  };
  rec();
  assert.deepStrictEqual(seen, expected);
});

test('a writer grown by one large message returns to its initial size once messages stay small', () => {
  const w = new ProtoWriter(1024);
  w.bytesField(1, new Uint8Array(1 << 20)); // a burst: the buffer grows to 2 MiB
  const big = w.finish();
  assert.ok(w.buf.length >= 1 << 20);
  const grown = w.buf.length;
  w.reset();
  for (let i = 0; i < 63; i++) {
    w.stringField(1, 'small');
    w.reset();
  }
  assert.equal(w.buf.length, grown, 'kept while small messages are still few');
  w.stringField(1, 'small');
  assert.deepEqual([...w.finish()], [0x0a, 5, ...Buffer.from('small')]);
  w.reset();
  assert.equal(w.buf.length, 1024, 'back to the initial size after 64 small messages');
  assert.equal(big.length, (1 << 20) + 4, 'a view taken before keeps its bytes');
  w.stringField(2, 'after');
  assert.deepEqual([...w.finish()], [0x12, 5, ...Buffer.from('after')]);
  // A large message in between starts the count again.
  const w2 = new ProtoWriter(1024);
  w2.bytesField(1, new Uint8Array(1 << 20));
  w2.reset();
  for (let i = 0; i < 100; i++) {
    if (i % 50 === 0) w2.bytesField(1, new Uint8Array(1 << 19));
    else w2.stringField(1, 'x');
    w2.reset();
  }
  assert.ok(w2.buf.length > 1024, 'never 64 small ones in a row');
});
