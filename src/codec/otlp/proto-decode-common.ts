/**
 * Binary decoding of the OTLP common messages (common.proto, resource.proto, Exemplar) into the model.
 *
 * Contract
 * - Functions take a `ProtoReader` positioned right after the tag of a LEN field holding the message, consume the
 *   message, and return model objects that never alias the input bytes (bytes values and ids are copied).
 * - AnyValue: the oneof's last field wins; an AnyValue with no field is `null`; two `array_value`/`kvlist_value`
 *   fields in a row merge (append), as protobuf merging does. Nesting deeper than MAX_ANY_VALUE_DEPTH arrays or
 *   kvlists fails with ProtoDecodeError.
 * - Resource.entity_refs (field 3, development status) become `Resource.entityRefs` (left absent when none).
 */
import { ByteIntern, type ProtoReader } from '../protobuf/index.ts';
import type { AnyValue, EntityRef, Exemplar, InstrumentationScope, KeyValue, Resource } from '../../model/types.ts';
import {
  D_ANY_VALUE,
  D_ARRAY_VALUE,
  D_ENTITY_REF,
  D_EXEMPLAR,
  D_KEY_VALUE,
  D_KVLIST_VALUE,
  D_RESOURCE,
  D_SCOPE,
  MAX_ANY_VALUE_DEPTH,
} from './descs.ts';

/**
 * Attribute KeyValue messages by their exact bytes, for those whose value is a primitive (string, bool, int, double,
 * empty): attributes repeat from point to point, so most are decoded with one hash and one compare. Only a cache.
 */
const kvCache = new ByteIntern<Readonly<KeyValue>>(4096, 96);

/** KeyValue message (after its tag). */
export function decodeKeyValue(r: ProtoReader, depth: number): KeyValue {
  const end = r.lengthEnd();
  const start = r.pos;
  // Fast path: byte-identical to an attribute seen before (same bytes decode to the same key and value).
  const hit = kvCache.get(r.buf, r.view, start, end);
  if (hit !== undefined) {
    r.pos = end;
    return { key: hit.key, value: hit.value };
  }
  r.enterUntil(end, D_KEY_VALUE);
  let key = '';
  let value: AnyValue = null;
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 key
        key = r.string();
        break;
      case 0x12: // 2 value
        value = decodeAnyValue(r, depth, value);
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
  if (value === null || typeof value !== 'object') kvCache.put(r.buf, r.view, start, end, { key, value });
  return { key, value };
}

/**
 * Checks one attribute KeyValue message (after its tag) and skips it, with exactly the checks of
 * `decodeKeyValue(r, 0)` and without allocating for primitive values (arrays and kvlists are decoded and dropped).
 */
export function checkKeyValue(r: ProtoReader): void {
  const end = canonicalKeyValueEnd(r.buf, r.view, r.pos, r.limit);
  if (end > 0 && r.nesting + 2 < r.maxDepth) {
    r.pos = end;
    return;
  }
  r.enter(D_KEY_VALUE);
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 key
        r.skipString();
        break;
      case 0x12: // 2 value
        checkAnyValue(r);
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
}

/** True when bytes [p, end) are all ASCII (hence valid UTF-8). */
function ascii(buf: Uint8Array, view: DataView, p: number, end: number): boolean {
  let high = 0;
  for (; p + 4 <= end; p += 4) high |= view.getUint32(p, true);
  for (; p < end; p++) high |= buf[p]!;
  return (high & 0x80808080) === 0;
}

/**
 * The common attribute shape, checked with plain byte reads: a KeyValue (length at `p`, one byte) made of an ASCII
 * key (field 1) and optionally a value (field 2) holding one ASCII string, a varint int/bool of at most 9 bytes or a
 * double, every length one byte. Returns the end of the KeyValue when the bytes have exactly that shape (then the
 * decoder accepts them), else 0 (the caller runs the full checks, which report any error).
 */
function canonicalKeyValueEnd(buf: Uint8Array, view: DataView, p: number, limit: number): number {
  if (p + 3 > limit) return 0;
  const len = buf[p]!;
  const end = p + 1 + len;
  if (len >= 0x80 || end > limit || buf[p + 1] !== 0x0a) return 0;
  const klen = buf[p + 2]!;
  const kend = p + 3 + klen;
  if (klen >= 0x80 || kend > end || !ascii(buf, view, p + 3, kend)) return 0;
  if (kend === end) return end;
  if (kend + 2 > end || buf[kend] !== 0x12 || buf[kend + 1] !== end - kend - 2) return 0;
  const v = kend + 2;
  if (v === end) return end; // empty AnyValue
  switch (buf[v]) {
    case 0x0a: // string_value
      return v + 2 <= end && buf[v + 1] === end - v - 2 && ascii(buf, view, v + 2, end) ? end : 0;
    case 0x10: // bool_value
    case 0x18: {
      // int_value: continuation bytes, then a last byte < 0x80, ending exactly at `end`
      const n = end - v - 1;
      if (n < 1 || n > 9 || buf[end - 1]! >= 0x80) return 0;
      for (let i = v + 1; i < end - 1; i++) if (buf[i]! < 0x80) return 0;
      return end;
    }
    case 0x21: // double_value
      return end === v + 9 ? end : 0;
    default:
      return 0;
  }
}

/** `decodeAnyValue(r, 0, ...)`'s checks (after the tag), building nothing for primitives. */
function checkAnyValue(r: ProtoReader): void {
  r.enter(D_ANY_VALUE);
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 string_value
        r.skipString();
        break;
      case 0x10: // 2 bool_value
        r.bool();
        break;
      case 0x18: // 3 int_value: uint32() parses the varint with int64()'s checks, without a bigint
        r.uint32();
        break;
      case 0x21: // 4 double_value
        r.double();
        break;
      case 0x2a: // 5 array_value
      case 0x32: {
        // 6 kvlist_value
        // decodeAnyValue's depth check at depth 0 (an attribute's own value), kept so both fail alike.
        if (0 >= MAX_ANY_VALUE_DEPTH) throw r.error(`AnyValue nesting deeper than ${MAX_ANY_VALUE_DEPTH}`);
        const array = r.wireType === 2 && r.field === 5;
        r.enter(array ? D_ARRAY_VALUE : D_KVLIST_VALUE);
        while (r.pos < r.limit) {
          if (r.tag() !== 0x0a) r.skipUnknown();
          else if (array) decodeAnyValue(r, 1, null);
          else decodeKeyValue(r, 1);
        }
        r.leave();
        break;
      }
      case 0x3a: // 7 bytes_value
        r.pos = r.lengthEnd();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
}

/** AnyValue message (after its tag). `prev` is the value already set by an earlier occurrence (for merging). */
export function decodeAnyValue(r: ProtoReader, depth: number, prev: AnyValue): AnyValue {
  r.enter(D_ANY_VALUE);
  let v: AnyValue = prev;
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 string_value
        v = r.string();
        break;
      case 0x10: // 2 bool_value
        v = r.bool();
        break;
      case 0x18: // 3 int_value (int64)
        v = r.int64();
        break;
      case 0x21: // 4 double_value
        v = r.double();
        break;
      case 0x2a: {
        // 5 array_value
        if (depth >= MAX_ANY_VALUE_DEPTH) throw r.error(`AnyValue nesting deeper than ${MAX_ANY_VALUE_DEPTH}`);
        const arr: AnyValue[] = Array.isArray(v) ? v : [];
        r.enter(D_ARRAY_VALUE);
        while (r.pos < r.limit) {
          if (r.tag() === 0x0a) arr.push(decodeAnyValue(r, depth + 1, null));
          else r.skipUnknown();
        }
        r.leave();
        v = arr;
        break;
      }
      case 0x32: {
        // 6 kvlist_value
        if (depth >= MAX_ANY_VALUE_DEPTH) throw r.error(`AnyValue nesting deeper than ${MAX_ANY_VALUE_DEPTH}`);
        const list: KeyValue[] = isKvList(v) ? v.kvlist : [];
        r.enter(D_KVLIST_VALUE);
        while (r.pos < r.limit) {
          if (r.tag() === 0x0a) list.push(decodeKeyValue(r, depth + 1));
          else r.skipUnknown();
        }
        r.leave();
        v = { kvlist: list };
        break;
      }
      case 0x3a: // 7 bytes_value
        v = r.bytes();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
  return v;
}

function isKvList(v: AnyValue): v is { kvlist: KeyValue[] } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Resource message (after its tag), merged into `res`. */
export function decodeResource(r: ProtoReader, res: Resource): void {
  r.enter(D_RESOURCE);
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 attributes
        res.attributes.push(decodeKeyValue(r, 0));
        break;
      case 0x10: // 2 dropped_attributes_count
        res.droppedAttributesCount = r.uint32();
        break;
      case 0x1a: // 3 entity_refs
        (res.entityRefs ??= []).push(decodeEntityRef(r));
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
}

/** EntityRef message (after its tag). */
export function decodeEntityRef(r: ProtoReader): EntityRef {
  r.enter(D_ENTITY_REF);
  const e: EntityRef = { schemaUrl: '', type: '', idKeys: [], descriptionKeys: [] };
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 schema_url
        e.schemaUrl = r.string();
        break;
      case 0x12: // 2 type
        e.type = r.string();
        break;
      case 0x1a: // 3 id_keys
        e.idKeys.push(r.string());
        break;
      case 0x22: // 4 description_keys
        e.descriptionKeys.push(r.string());
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
  return e;
}

/** InstrumentationScope message (after its tag), merged into `scope`. */
export function decodeScope(r: ProtoReader, scope: InstrumentationScope): void {
  r.enter(D_SCOPE);
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 name
        scope.name = r.string();
        break;
      case 0x12: // 2 version
        scope.version = r.string();
        break;
      case 0x1a: // 3 attributes
        scope.attributes.push(decodeKeyValue(r, 0));
        break;
      case 0x20: // 4 dropped_attributes_count
        scope.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
}

/** Exemplar message (after its tag). A missing value is 0 (double). */
export function decodeExemplar(r: ProtoReader): Exemplar {
  r.enter(D_EXEMPLAR);
  const filteredAttributes: KeyValue[] = [];
  let timeUnixNano = 0n;
  let value: number | bigint = 0;
  let traceId: Uint8Array | undefined;
  let spanId: Uint8Array | undefined;
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x11: // 2 time_unix_nano
        timeUnixNano = r.fixed64();
        break;
      case 0x19: // 3 as_double
        value = r.double();
        break;
      case 0x22: // 4 span_id
        spanId = r.bytes();
        break;
      case 0x2a: // 5 trace_id
        traceId = r.bytes();
        break;
      case 0x31: // 6 as_int
        value = r.sfixed64();
        break;
      case 0x3a: // 7 filtered_attributes
        filteredAttributes.push(decodeKeyValue(r, 0));
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
  return {
    filteredAttributes,
    timeUnixNano,
    value,
    traceId: traceId ?? new Uint8Array(0),
    spanId: spanId ?? new Uint8Array(0),
  };
}
