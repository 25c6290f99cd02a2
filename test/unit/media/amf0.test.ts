import { describe, it, expect } from 'vitest';
import {
  Amf0Error,
  AmfEcmaArray,
  amfProps,
  decodeAmf0,
  decodeAmf0Prefix,
  encodeAmf0,
  type AmfValue,
} from '../../../src/media/amf0.js';
import { RestreamError } from '../../../src/shared/errors.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

function expectAmfError(fn: () => unknown, code = 'AMF_MALFORMED'): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(Amf0Error);
  expect(err).toBeInstanceOf(RestreamError);
  expect((err as Amf0Error).code).toBe(code);
}

describe('encodeAmf0: exact bytes per type (AMF0 spec 2.2-2.14)', () => {
  it.each<[string, AmfValue, string]>([
    ['number', 1, '00 3ff0000000000000'],
    ['boolean true', true, '01 01'],
    ['boolean false', false, '01 00'],
    ['string', 'ab', '02 0002 6162'],
    ['empty string', '', '02 0000'],
    ['null', null, '05'],
    ['undefined', undefined, '06'],
    ['object', { a: 1 }, '03 0001 61 00 3ff0000000000000 0000 09'],
    ['empty object', {}, '03 0000 09'],
    ['ECMA array', new AmfEcmaArray({ a: true }), '08 00000001 0001 61 01 01 0000 09'],
    ['strict array', [null, 'x'], '0a 00000002 05 02 0001 78'],
    ['date (tz 0)', new Date(1000), '0b 408f400000000000 0000'],
  ])('%s', (_name, value, bytes) => {
    expect(encodeAmf0(value).toString('hex')).toBe(hex(bytes).toString('hex'));
    expect(decodeAmf0(hex(bytes))).toEqual([value]);
  });

  it('writes strings up to 65535 bytes as 0x02 and longer ones as long strings (0x0C)', () => {
    const short = 'é'.repeat(32767) + 'a'; // 65535 UTF-8 bytes
    const long = short + 'b';
    expect(encodeAmf0(short).readUInt8(0)).toBe(0x02);
    expect(encodeAmf0(short).readUInt16BE(1)).toBe(65535);
    const encoded = encodeAmf0(long);
    expect(encoded.readUInt8(0)).toBe(0x0c);
    expect(encoded.readUInt32BE(1)).toBe(65536);
    expect(decodeAmf0(encoded)).toEqual([long]);
  });

  it('encodes several values back to back, as a command is laid out', () => {
    const bytes = encodeAmf0('createStream', 4, null);
    expect(bytes.toString('hex')).toBe('02000c63726561746553747265616d00401000000000000005');
  });

  it('refuses an object key longer than 65535 bytes', () => {
    expectAmfError(() => encodeAmf0({ ['k'.repeat(65536)]: 1 }));
  });

  it('refuses values nested too deeply (a cycle would otherwise recurse forever)', () => {
    const cyclic: AmfValue[] = [];
    cyclic.push(cyclic);
    expectAmfError(() => encodeAmf0(cyclic));
  });
});

describe('decodeAmf0: the rarer markers', () => {
  it('decodes a reference (0x07) and unsupported (0x0D) as undefined', () => {
    expect(decodeAmf0(hex('07 0001 0d'))).toEqual([undefined, undefined]);
  });

  it('decodes an XML document (0x0F) as a string', () => {
    expect(decodeAmf0(hex('0f 00000003 3c612f'))).toEqual(['<a/']);
  });

  it('decodes a typed object (0x10) as its properties', () => {
    expect(decodeAmf0(hex('10 0003 466f6f 0001 78 05 0000 09'))).toEqual([{ x: null }]);
  });

  it('decodes a long string (0x0C)', () => {
    expect(decodeAmf0(hex('0c 00000002 6869'))).toEqual(['hi']);
  });

  it('keeps a property with an empty key when a value (not the end marker) follows it', () => {
    expect(decodeAmf0(hex('03 0000 01 01 0000 09'))).toEqual([{ '': true }]);
  });

  it('ignores the date time zone and the ECMA array count hint', () => {
    expect(decodeAmf0(hex('0b 0000000000000000 ffc4'))).toEqual([new Date(0)]);
    expect(decodeAmf0(hex('08 00000000 0001 61 05 0000 09'))).toEqual([new AmfEcmaArray({ a: null })]);
  });

  it('rejects the AVM+ switch (0x11) with AMF3_UNSUPPORTED', () => {
    expectAmfError(() => decodeAmf0(hex('02 0001 61 11 06')), 'AMF3_UNSUPPORTED');
  });

  it.each([
    ['movie clip', '04'],
    ['object end out of place', '09'],
    ['record set', '0e'],
    ['unknown marker', 'ff'],
  ])('rejects a %s marker', (_name, bytes) => {
    expectAmfError(() => decodeAmf0(hex(bytes)));
  });

  it('stores a "__proto__" key as a property without touching the prototype', () => {
    const bytes = hex('03 0009 5f5f70726f746f5f5f 03 0001 78 01 01 0000 09 0000 09');
    const [obj] = decodeAmf0(bytes);
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.keys(obj as object)).toEqual(['__proto__']);
    expect(encodeAmf0(obj).equals(bytes)).toBe(true);
  });
});

describe('decodeAmf0 on hostile input: Amf0Error, never RangeError, never a huge allocation', () => {
  const sample = encodeAmf0(
    'connect',
    1,
    { app: 'live', nested: { list: [1, 'two', new AmfEcmaArray({ three: 3 })], when: new Date(5) } },
    'x'.repeat(70000),
  );

  it('throws AMF_MALFORMED for every truncation of a value', () => {
    const single = encodeAmf0({ app: 'live', nested: { list: [1, 'two', new AmfEcmaArray({ three: 3 })] } });
    for (let n = 1; n < single.length; n++) expectAmfError(() => decodeAmf0(single.subarray(0, n)));
  });

  it('decodes the untruncated sample exactly', () => {
    expect(encodeAmf0(...decodeAmf0(sample)).equals(sample)).toBe(true);
  });

  it('rejects lengths that run past the end', () => {
    expectAmfError(() => decodeAmf0(hex('02 ffff 61')));
    expectAmfError(() => decodeAmf0(hex('0c ffffffff 61')));
    expectAmfError(() => decodeAmf0(hex('0f 80000000')));
    expectAmfError(() => decodeAmf0(hex('03 ffff')));
  });

  it('rejects a strict array whose count exceeds the remaining bytes before allocating', () => {
    expectAmfError(() => decodeAmf0(hex('0a ffffffff 05 05')));
  });

  it('bounds nesting depth', () => {
    const nested = (depth: number): Buffer =>
      Buffer.concat([...Array.from({ length: depth }, () => hex('0a 00000001')), hex('05')]);
    expect(decodeAmf0(nested(60))).toHaveLength(1);
    expectAmfError(() => decodeAmf0(nested(100)));
    expectAmfError(() => decodeAmf0(nested(100_000)));
    // objects nest through property values: | 03 | 0001 'a' | 03 | ...
    expectAmfError(() => decodeAmf0(Buffer.concat(Array.from({ length: 100 }, () => hex('03 0001 61')))));
  });
});

describe('decodeAmf0Prefix', () => {
  const bytes = Buffer.concat([encodeAmf0('onStatus', 0, null), hex('11 ff ff')]);

  it('decodes at most maxValues values and reports the bytes they took', () => {
    const { values, bytesRead } = decodeAmf0Prefix(bytes, 2);
    expect(values).toEqual(['onStatus', 0]);
    expect(bytesRead).toBe(encodeAmf0('onStatus', 0).length);
  });

  it('stops without throwing at the first value that does not decode', () => {
    const { values, bytesRead } = decodeAmf0Prefix(bytes, 10);
    expect(values).toEqual(['onStatus', 0, null]);
    expect(bytesRead).toBe(bytes.length - 3);
  });

  it('returns nothing for empty or garbage input', () => {
    expect(decodeAmf0Prefix(Buffer.alloc(0), 3)).toEqual({ values: [], bytesRead: 0 });
    expect(decodeAmf0Prefix(hex('02 ff'), 3)).toEqual({ values: [], bytesRead: 0 });
  });
});

describe('amfProps', () => {
  it('gives objects and ECMA arrays as plain objects and nothing else', () => {
    expect(amfProps({ a: 1 })).toEqual({ a: 1 });
    expect(amfProps(new AmfEcmaArray({ width: 320 }))).toEqual({ width: 320 });
    for (const v of [null, undefined, 1, 'x', true, [], new Date(0)] as AmfValue[]) {
      expect(amfProps(v)).toBeUndefined();
    }
  });
});
