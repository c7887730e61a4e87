import { bytesToHex, EncodingError, encode, hexToBytes, isPrefix, MAX_VARIABLE_PAYLOAD, parse, PREFIXES } from '@aesc/encoding';
import { type Command, quoteForMessage, writeJson } from '../command.js';
import { EXIT } from '../errors.js';

export const encodeCommand: Command = {
  name: 'encode',
  summary: 'bytes (hex) to a prefix$base58check value',
  usage: ['encode [--json] <prefix> <hex>'],
  description: [
    `Encodes the bytes as prefix$base58check. The prefixes: ${PREFIXES.join(', ')}. The payload size`,
    'must suit the prefix (ak 32 bytes, or 65 for a legacy secp256k1 key; sg 64 or DER; tx and st',
    `0 to ${MAX_VARIABLE_PAYLOAD}; the rest 32). Hex in either case, with or without 0x; an empty string is no bytes.`,
    '--json prints {"encoded","prefix","size","hex"}.',
  ].join('\n'),
  options: {},
  arity: { min: 2, max: 2 },
  examples: ['aesc encode ch 439a3ac4d6b8e084d89d86d6492d0a667defcd45818bb5b969e9b849a83eaca1', "aesc encode st ''"],
  async run(invocation) {
    const [prefix, hex] = invocation.positionals as [string, string];
    if (!isPrefix(prefix)) {
      throw new EncodingError('UNKNOWN_PREFIX', `unknown prefix ${quoteForMessage(prefix)}; the prefixes are ${PREFIXES.join(', ')}`, {
        prefix: prefix.slice(0, 16),
      });
    }
    const encoded = encode(prefix, hexToBytes(hex));
    if (invocation.json) {
      const { bytes } = parse(encoded);
      await writeJson(invocation.io, { encoded, prefix, size: bytes.length, hex: bytesToHex(bytes) });
    } else {
      await invocation.io.stdout(`${encoded}\n`);
    }
    return EXIT.OK;
  },
};

export const decodeCommand: Command = {
  name: 'decode',
  summary: 'a prefix$base58check value to its bytes (hex)',
  usage: ["decode [--json] '<value>'"],
  description: [
    'Checks the prefix, the checksum and the payload size, and prints the payload as lowercase hex',
    '(an empty line for no bytes). `aesc inspect` says what the bytes mean.',
    '--json prints {"encoded","prefix","size","hex"}.',
  ].join('\n'),
  options: {},
  arity: { min: 1, max: 1 },
  examples: ["aesc decode 'ch$WmpDbaiCs5roqRCL5KEKbpsDNJSbcbiUvt2cs1qyj4sM9HA3b'", "aesc decode 'ak$…' | xxd -r -p > key.bin"],
  async run(invocation) {
    const encoded = invocation.positionals[0] as string;
    const { prefix, bytes } = parse(encoded);
    const hex = bytesToHex(bytes);
    if (invocation.json) await writeJson(invocation.io, { encoded, prefix, size: bytes.length, hex });
    else await invocation.io.stdout(`${hex}\n`);
    return EXIT.OK;
  },
};
