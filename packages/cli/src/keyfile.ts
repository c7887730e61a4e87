import { type FileHandle, open, unlink } from 'node:fs/promises';
import { bytesToHex, EncodingError, hexToBytes } from '@aesc/encoding';
import { parseJsonExact, SchemaError } from '@aesc/schema';
import { createSigner, type Signer, SignerError } from '@aesc/signer';
import { CliError, oneLine } from './errors.js';
import { readFileAtMost } from './io.js';

/*
 * A key file is what `aesc keygen --out` writes: one JSON object
 * `{"address":"ak$…","secret_key":"<hex of the 64-byte seed ‖ public key>"}`, mode 0600.
 * `aesc sign --key` also reads a file holding only the hex of a 32-byte seed or of the
 * 64-byte secret key (the libsodium layout the node keeps).
 */

/** Far more than any key file; reading stops there, so `--key /dev/zero` cannot exhaust memory. */
const MAX_KEY_FILE_SIZE = 4096;

export interface KeyFile {
  address: string;
  secret_key: string;
}

export function keyFileContent(signer: Signer, secretKey: Uint8Array): KeyFile {
  return { address: signer.address, secret_key: bytesToHex(secretKey) };
}

/**
 * Writes a new key file readable by its owner only; never replaces an existing file. A write
 * that fails (a full disk) removes the file it created: an empty or half-written key file would
 * hold no key, and would make the next `keygen --out` to that path fail with KEY_FILE_EXISTS.
 */
export async function writeKeyFile(path: string, content: KeyFile): Promise<void> {
  const unwritable = (error: unknown) => new CliError('KEY_FILE_UNWRITABLE', `cannot write ${path}: ${oneLine((error as Error).message)}`);
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError('KEY_FILE_EXISTS', `${path} exists; a key file is never overwritten`);
    throw unwritable(error);
  }
  try {
    try {
      await handle.writeFile(`${JSON.stringify(content)}\n`);
    } finally {
      await handle.close();
    }
  } catch (error) {
    // 'wx' created this file, so it is ours to remove.
    await unlink(path).catch(() => undefined);
    throw unwritable(error);
  }
}

/** The signer of a key file (see above for the forms it may take). */
export async function readKeyFile(path: string): Promise<Signer> {
  const { secretKey, address } = parseKeyFile(await readBounded(path), path);
  try {
    const signer = await createSigner(secretKey);
    if (address !== undefined && address !== signer.address) {
      throw new CliError('INVALID_KEY_FILE', `${path}: its address is not the key of its secret_key`);
    }
    return signer;
  } catch (error) {
    if (error instanceof SignerError) throw new CliError('INVALID_KEY_FILE', `${path}: ${error.message}`);
    throw error;
  } finally {
    secretKey.fill(0);
  }
}

async function readBounded(path: string): Promise<string> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readFileAtMost(path, MAX_KEY_FILE_SIZE);
  } catch (error) {
    throw new CliError('KEY_FILE_UNREADABLE', `cannot read ${path}: ${oneLine((error as Error).message)}`);
  }
  if (bytes === undefined) throw new CliError('INVALID_KEY_FILE', `${path} is longer than a key file (${MAX_KEY_FILE_SIZE} bytes)`);
  const text = new TextDecoder().decode(bytes);
  bytes.fill(0);
  return text;
}

function parseKeyFile(text: string, path: string): { secretKey: Uint8Array; address?: string } {
  const trimmed = text.trim();
  let hex: unknown = trimmed;
  let address: unknown;
  if (trimmed.startsWith('{')) {
    let record: unknown;
    try {
      // A key given twice is refused: JSON.parse would sign with the last "secret_key" while the
      // file shows another (with the address that goes with it) above it.
      parseJsonExact(trimmed, { duplicateKeys: 'refuse' });
      record = JSON.parse(trimmed);
    } catch (error) {
      const why = error instanceof SchemaError ? `${error.message}; ` : '';
      throw new CliError('INVALID_KEY_FILE', `${path}: ${why}a key file in JSON holds one {"address","secret_key"}`);
    }
    if (typeof record !== 'object' || record === null) throw new CliError('INVALID_KEY_FILE', `${path}: not a JSON object`);
    ({ secret_key: hex, address } = record as Record<string, unknown>);
    if (typeof hex !== 'string') throw new CliError('INVALID_KEY_FILE', `${path}: no "secret_key" string`);
  }
  const digits = (hex as string).replace(/^0x/i, '');
  if (digits.length !== 64 && digits.length !== 128) {
    throw new CliError(
      'INVALID_KEY_FILE',
      `${path}: a secret key is the hex of a 32-byte seed or of 64 bytes (seed ‖ public key), got ${digits.length} characters`,
    );
  }
  let secretKey: Uint8Array;
  try {
    secretKey = hexToBytes(digits);
  } catch (error) {
    if (error instanceof EncodingError) throw new CliError('INVALID_KEY_FILE', `${path}: the secret key is not hex`);
    throw error;
  }
  return typeof address === 'string' ? { secretKey, address } : { secretKey };
}
