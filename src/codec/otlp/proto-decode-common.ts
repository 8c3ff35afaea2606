/**
 * Binary decoding of the OTLP common messages (common.proto, resource.proto, Exemplar) into the model.
 *
 * Contract
 * - Functions take a `ProtoReader` positioned right after the tag of a LEN field holding the message, consume the
 *   message, and return model objects that never alias the input bytes (bytes values and ids are copied).
 * - AnyValue: the oneof's last field wins; an AnyValue with no field is `null`; two `array_value`/`kvlist_value`
 *   fields in a row merge (append), as protobuf merging does. Nesting deeper than MAX_ANY_VALUE_DEPTH arrays or
 *   kvlists fails with ProtoDecodeError.
 * - Resource.entity_refs (field 3, development status) has no place in the model and is skipped.
 */
import { ByteIntern, type ProtoReader } from '../protobuf/index.ts';
import type { AnyValue, Exemplar, InstrumentationScope, KeyValue, Resource } from '../../model/types.ts';
import {
  D_ANY_VALUE,
  D_ARRAY_VALUE,
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
      case 0x1a: // 3 entity_refs: not in the model
        r.skip(2);
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
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
