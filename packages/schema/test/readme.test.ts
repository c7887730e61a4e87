import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';

const README = fileURLToPath(new URL('../README.md', import.meta.url));

describe('README', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('runs its example and prints what its comments say', async () => {
    const example = /```js\n([\s\S]*?)```/.exec(readFileSync(README, 'utf8'))?.[1];
    expect(example).toBeDefined();
    // Beside this test, so that `@aesc/schema` resolves as the tests resolve it (to the sources).
    const file = fileURLToPath(new URL(`./.readme-example-${process.pid}.mjs`, import.meta.url));
    writeFileSync(file, example ?? '');
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...values: unknown[]) => {
      lines.push(values.join(' '));
    });
    try {
      await import(pathToFileURL(file).href);
    } finally {
      rmSync(file, { force: true });
    }
    expect(lines).toEqual([
      '{"action":"responder_sign","payload":{"tx":"tx$6adcRetcJLibmbR7c8ibDvMLnQzoBPz6gvmWSB18Uth5c5Medbak7MswebnFwB8ywC4aDu9AALcTNEf4SvE8uf3B4Px7NM2TUS8L2NjtE9Nx482c6JKZgwA4oeJaCa5KeVhUnnCqLY82eui1tqzSp4tJEHgs1HzPZFGnzJVVanzg1RdDnVQLCLw2rYpmc1vNxTUp4XCfJDc1uZxA1v8yDcdJ8g26RSrVQTEPV3"}}',
      '{"action":"update","tag":"new","payload":{"from":"ak$2CrzUGrQvLx4EaG5VnygKbb92Xpz88t5XepeQbRfutHqGWraSH","to":"ak$2t6jf5jehLcCMSBUDg8smbYd3M5Jhv48i6eAGCehvXWn6hQMeV","amount":18446744073709551616}}',
      'SCHEMA /payload/tx',
    ]);
    expect(example?.split('\n').filter((line) => line.trim() !== '').length).toBeLessThanOrEqual(12);
  });
});
