// A new process after the crash: reads the last co-signed state from the store and disputes the
// channel alone. If the peer already solo-closed with an older state, it slashes; otherwise it
// solo-closes. Then it waits out the lock period and settles.
import { closeSolo, FileStore, NodeClient, settle, slash } from '@aesc/client';
import { createSigner } from '@aesc/signer';
import { decodeTx } from '@aesc/tx';

const [httpUrl, storeDir, channelId] = process.argv.slice(2);
const signer = await createSigner(new Uint8Array(32).fill(71));
const store = new FileStore(storeDir);
const node = new NodeClient(httpUrl);
const snapshot = await store.load(channelId);
const channel = await node.getChannel(channelId);
let action;
if (channel.closes_at !== 0n && channel.round < snapshot.round) {
  await slash({ node, signer, channelId, state: snapshot.state, timeoutMs: 30_000, pollMs: 20 });
  action = 'slash';
} else {
  await closeSolo({ node, signer, channelId, store, timeoutMs: 30_000, pollMs: 20 });
  action = 'close_solo';
}
const settled = await settle({ node, signer, channelId, waitUntilClosable: true, timeoutMs: 30_000, pollMs: 20 });
const state = decodeTx(snapshot.state, 'signed_tx').tx;
process.stdout.write(`${JSON.stringify({ action, round: snapshot.round.toString(), settle: settled.hash, initiator_amount: state.initiator_amount.toString(), responder_amount: state.responder_amount.toString() })}\n`);
