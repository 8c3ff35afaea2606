/**
 * A hand-built MetricsData that uses every field of the model and every AnyValue kind, for round-trip tests.
 * Values are chosen to hit edge cases: int64 beyond 2^53 and at both ends, doubles NaN/±Inf/-0, timestamps in the
 * upper half of the unsigned 64-bit range, optional fields absent and present, empty and nested containers.
 */
import type { AnyValue, Attributes, Exemplar, MetricsData } from '../../src/model/types.ts';

const T_MAX = 2n ** 64n - 1n; // > 2^63: only valid as unsigned fixed64
const T_HIGH = 2n ** 63n + 123456789n;
const T_NOW = 1_700_000_000_123_456_789n;

export const ALL_ANY_VALUES: AnyValue[] = [
  '',
  'plain',
  'héllo ✓ 😀',
  true,
  false,
  0n,
  -1n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  0,
  -0,
  1.5,
  -2.25e-300,
  NaN,
  Infinity,
  -Infinity,
  new Uint8Array(0),
  new Uint8Array([0, 1, 2, 250, 255]),
  [],
  ['a', 1n, [true, [null]], { kvlist: [] }],
  { kvlist: [] },
  { kvlist: [{ key: 'inner', value: { kvlist: [{ key: 'deep', value: [2.5, new Uint8Array([9])] }] } }, { key: '', value: null }] },
  null,
];

export const allKinds = (): Attributes => ALL_ANY_VALUES.map((value, i) => ({ key: `k${i}`, value }));

const exemplars = (): Exemplar[] => [
  {
    filteredAttributes: [{ key: 'user', value: 'u1' }],
    timeUnixNano: T_NOW,
    value: 3.25,
    traceId: Uint8Array.from({ length: 16 }, (_, i) => i * 16 + i),
    spanId: Uint8Array.from({ length: 8 }, (_, i) => 255 - i),
  },
  { filteredAttributes: [], timeUnixNano: 0n, value: -(2n ** 62n), traceId: new Uint8Array(0), spanId: new Uint8Array(0) },
  { filteredAttributes: [], timeUnixNano: T_MAX, value: 0, traceId: new Uint8Array(0), spanId: new Uint8Array(0) },
];

export function everything(): MetricsData {
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: allKinds(),
          droppedAttributesCount: 7,
          entityRefs: [
            { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0', type: 'service', idKeys: ['service.name', 'service.namespace'], descriptionKeys: ['service.version'] },
            { schemaUrl: '', type: 'host', idKeys: ['host.id'], descriptionKeys: [] },
          ],
        },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeMetrics: [
          {
            scope: { name: 'my.library', version: '1.2.3', attributes: [{ key: 'scope.attr', value: 42n }], droppedAttributesCount: 2 },
            schemaUrl: 'https://opentelemetry.io/schemas/1.25.0',
            metrics: [
              {
                name: 'g',
                description: 'a gauge',
                unit: 'By',
                metadata: [{ key: 'prometheus.type', value: 'gauge' }],
                type: 'gauge',
                points: [
                  { attributes: allKinds(), startTimeUnixNano: 0n, timeUnixNano: T_MAX, flags: 0, value: NaN, exemplars: exemplars() },
                  { attributes: [], startTimeUnixNano: 1n, timeUnixNano: T_HIGH, flags: 1, value: -7n, exemplars: [] },
                  { attributes: [], startTimeUnixNano: 0n, timeUnixNano: T_NOW, flags: 0, value: 0, exemplars: [] },
                  { attributes: [], startTimeUnixNano: 0n, timeUnixNano: T_NOW, flags: 0, value: 0n, exemplars: [] },
                  { attributes: [], startTimeUnixNano: 0n, timeUnixNano: T_NOW, flags: 0, value: -0, exemplars: [] },
                  { attributes: [], startTimeUnixNano: 0n, timeUnixNano: T_NOW, flags: 0, value: 0, exemplars: [], valueAbsent: true },
                ],
              },
              {
                name: 'c',
                description: '',
                unit: '',
                metadata: [],
                type: 'sum',
                temporality: 1,
                isMonotonic: true,
                points: [
                  { attributes: [{ key: 'a', value: 'b' }], startTimeUnixNano: T_NOW, timeUnixNano: T_NOW + 1n, flags: 0, value: 2n ** 63n - 1n, exemplars: [] },
                  { attributes: [], startTimeUnixNano: T_NOW, timeUnixNano: T_NOW + 2n, flags: 0, value: Infinity, exemplars: exemplars() },
                ],
              },
              {
                name: 'updown',
                description: '',
                unit: '',
                metadata: [],
                type: 'sum',
                temporality: 2,
                isMonotonic: false,
                points: [{ attributes: [], startTimeUnixNano: 0n, timeUnixNano: T_NOW, flags: 0, value: -(2n ** 63n), exemplars: [] }],
              },
              {
                name: 'h',
                description: 'histogram',
                unit: 's',
                metadata: [{ key: 'm', value: [1n, 2n] }],
                type: 'histogram',
                temporality: 2,
                points: [
                  {
                    attributes: [{ key: 'le-ish', value: 0.5 }],
                    startTimeUnixNano: T_NOW,
                    timeUnixNano: T_HIGH,
                    flags: 0,
                    count: 2 ** 53 - 1,
                    sum: 0,
                    bucketCounts: [0, 2 ** 40, 3, 2 ** 53 - 1 - 2 ** 40 - 3],
                    explicitBounds: [-1.5, 0, 2.5],
                    exemplars: exemplars(),
                    min: -1e308,
                    max: 1e308,
                  },
                  {
                    attributes: [],
                    startTimeUnixNano: 0n,
                    timeUnixNano: T_NOW,
                    flags: 1,
                    count: 0,
                    sum: undefined,
                    bucketCounts: [],
                    explicitBounds: [],
                    exemplars: [],
                    min: undefined,
                    max: undefined,
                  },
                  {
                    attributes: [],
                    startTimeUnixNano: 0n,
                    timeUnixNano: T_NOW,
                    flags: 0,
                    count: 5,
                    sum: -0,
                    bucketCounts: [5],
                    explicitBounds: [],
                    exemplars: [],
                    min: 0,
                    max: undefined,
                  },
                ],
              },
              {
                name: 'eh',
                description: 'exp',
                unit: 'ms',
                metadata: [],
                type: 'exponential_histogram',
                temporality: 1,
                points: [
                  {
                    attributes: [{ key: 'x', value: true }],
                    startTimeUnixNano: T_NOW,
                    timeUnixNano: T_NOW + 10n,
                    flags: 0,
                    count: 17,
                    sum: 123.5,
                    scale: -3,
                    zeroCount: 2,
                    positive: { offset: -5, bucketCounts: [1, 0, 2 ** 35, 4] },
                    negative: { offset: 3, bucketCounts: [6, 0, 1] },
                    exemplars: exemplars(),
                    min: -8,
                    max: 99.5,
                    zeroThreshold: 1e-9,
                  },
                  {
                    attributes: [],
                    startTimeUnixNano: 0n,
                    timeUnixNano: T_NOW,
                    flags: 1,
                    count: 0,
                    sum: undefined,
                    scale: 20,
                    zeroCount: 0,
                    positive: { offset: 0, bucketCounts: [] },
                    negative: { offset: 0, bucketCounts: [] },
                    exemplars: [],
                    min: undefined,
                    max: undefined,
                    zeroThreshold: 0,
                  },
                ],
              },
              {
                name: 's',
                description: 'summary',
                unit: '1',
                metadata: [],
                type: 'summary',
                points: [
                  {
                    attributes: [{ key: 'q', value: 'v' }],
                    startTimeUnixNano: T_NOW,
                    timeUnixNano: T_MAX,
                    flags: 0,
                    count: 10,
                    sum: 55.5,
                    quantileValues: [
                      { quantile: 0, value: 1 },
                      { quantile: 0.5, value: 5.5 },
                      { quantile: 1, value: NaN },
                    ],
                  },
                  { attributes: [], startTimeUnixNano: 0n, timeUnixNano: T_NOW, flags: 1, count: 0, sum: 0, quantileValues: [] },
                ],
              },
              { name: 'nothing', description: 'no data', unit: '', metadata: [{ key: 'why', value: 'empty' }], type: 'empty', points: [] },
              { name: '', description: '', unit: '', metadata: [], type: 'gauge', points: [] },
            ],
          },
          { scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', metrics: [] },
        ],
      },
      { resource: { attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', scopeMetrics: [] },
    ],
  };
}
