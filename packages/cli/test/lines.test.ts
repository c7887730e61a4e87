import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OverlongLine, readLines } from '../src/io.js';

async function collect(chunks: readonly (string | Uint8Array)[], maxLength?: number): Promise<(string | OverlongLine)[]> {
  const lines: (string | OverlongLine)[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const line of readLines(source(), maxLength)) lines.push(line);
  return lines;
}

/** Cuts `bytes` at the given offsets, as a pipe may deliver them (inside a UTF-8 sequence too). */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((offset) => offset % (bytes.length + 1)))].sort((left, right) => left - right);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

const lineText = fc.string({ unit: fc.oneof(fc.constantFrom('a', 'tx$', ' ', '\r', 'é', '€', '😀'), fc.string({ maxLength: 3 })) }).map((text) => text.replace(/\n/g, ''));

describe('readLines', () => {
  it('gives back the lines of any text, however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(lineText, { maxLength: 20 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }), async (lines, finalNewline, offsets) => {
        const text = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '');
        // The rule: every newline ends a line; text after the last newline is a line if not empty.
        const expected = text.split('\n').map((line) => line.replace(/\r$/, ''));
        if (text === '' || text.endsWith('\n')) expected.pop();
        expect(await collect(cut(new TextEncoder().encode(text), offsets))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('reports lines over the limit by length, keeps none of their text, and goes on', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), async (lengths, offsets) => {
        const limit = 16;
        const text = `${lengths.map((length) => 'x'.repeat(length)).join('\n')}\n`;
        const expected = lengths.map((length) => (length > limit ? { overlong: true, length } : 'x'.repeat(length)));
        expect(await collect(cut(new TextEncoder().encode(text), offsets), limit)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('reads string chunks as they are', async () => {
    expect(await collect(['ab', 'c\r\nd', 'e\n\n', 'f'])).toEqual(['abc', 'de', '', 'f']);
  });

  it('answers an unfinished overlong last line', async () => {
    expect(await collect(['y'.repeat(10), 'y'.repeat(10)], 8)).toEqual([{ overlong: true, length: 20 }]);
  });
});
