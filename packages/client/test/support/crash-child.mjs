// A client process for the crash test: opens a channel as the initiator with a FileStore, then
// sends transfers until it is killed, printing each co-signed round once the store holds it.
import { ChannelClient, FileStore } from '@aesc/client';
import { createSigner } from '@aesc/signer';

const [url, storeDir, paramsJson] = process.argv.slice(2);
const params = JSON.parse(paramsJson, (_key, value) => (typeof value === 'string' && /^\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value));
const signer = await createSigner(new Uint8Array(32).fill(71));
const client = await ChannelClient.connect({ url, role: 'initiator', params, signer, store: new FileStore(storeDir) });
const { channelId } = await client.opened;
process.stdout.write(`${JSON.stringify({ channelId })}\n`);
for (;;) {
  const state = await client.update({ from: params.initiator, to: params.responder, amount: 1n });
  process.stdout.write(`${JSON.stringify({ round: state.round.toString() })}\n`);
}
