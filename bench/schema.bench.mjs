/*
 * Row 5: `@aesc/schema` (the built package) against the floor of its work.
 *   - parse + validate of a sign request vs `JSON.parse` alone: the price of the ajv standalone
 *     validator (dispatch by action and tag, required/extra keys, the tx$ base58 pattern);
 *   - parse + validate of an update/new vs `JSON.parse` alone, with a small amount (a regex pass
 *     shows every number is a short integer literal) and with 2^64-1 (read a second time by the
 *     exact parser, which `JSON.parse` would round);
 *   - serializeMessage of a sign reply vs `JSON.stringify`.
 * Each row checks first that both sides give the same frame.
 */
import { parseClientMessage, parseNodeMessage, serializeMessage, signReply } from '@aesc/schema';
import { signRequest } from './inputs.mjs';

const K0 = 'ak$2t6jf5jehLcCMSBUDg8smbYd3M5Jhv48i6eAGCehvXWn6hQMeV';
const K1 = 'ak$2CrzUGrQvLx4EaG5VnygKbb92Xpz88t5XepeQbRfutHqGWraSH';

function same(left, right, what) {
  const show = (value) => JSON.stringify(value, (_key, member) => (typeof member === 'bigint' ? `${member}n` : member));
  if (show(left) !== show(right)) throw new Error(`${what}: ${show(left)} differs from ${show(right)}`);
}

/** Interleaved timing when the harness offers it, else one `measure` per side. */
async function time(context, ours, baseline) {
  if (typeof context.compare === 'function') {
    const [oursTime, baselineTime] = await context.compare([ours, baseline]);
    return [oursTime.ns, baselineTime.ns];
  }
  return [await context.measure(ours), await context.measure(baseline)];
}

export async function run(context) {
  const rows = [];

  const signText = JSON.stringify({ action: 'sign', tag: 'update', payload: { tx: signRequest.tx } });
  same(parseNodeMessage(signText), JSON.parse(signText), 'sign request');
  const [signNs, signBaselineNs] = await time(
    context,
    () => parseNodeMessage(signText),
    () => JSON.parse(signText),
  );
  rows.push({
    name: 'parse+validate sign request',
    ns: signNs,
    baseline: 'JSON.parse alone',
    baselineNs: signBaselineNs,
    atMost: 2.5,
    note: `${signText.length}-character frame (${signRequest.id}); issue's reference: ajv adds ~0.4 µs to a 0.76 µs parse`,
  });

  for (const [label, amount] of [
    ['amount 417145', 417145n],
    ['amount 2^64-1, read by the exact parser', 2n ** 64n - 1n],
  ]) {
    const updateText = `{"action":"update","tag":"new","payload":{"from":"${K0}","to":"${K1}","amount":${amount}}}`;
    const update = parseClientMessage(updateText);
    if (update.payload.amount !== amount) throw new Error(`update/new: ${label} not exact`);
    const [updateNs, updateBaselineNs] = await time(
      context,
      () => parseClientMessage(updateText),
      () => JSON.parse(updateText),
    );
    rows.push({
      name: `parse+validate update/new, ${label}`,
      ns: updateNs,
      baseline: 'JSON.parse alone',
      baselineNs: updateBaselineNs,
      note: `${label}: JSON.parse gives ${JSON.parse(updateText).payload.amount}, parseClientMessage ${amount}n`,
    });
  }

  const reply = signReply('update', signRequest.tx);
  same(JSON.parse(serializeMessage(reply)), JSON.parse(JSON.stringify(reply)), 'sign reply');
  const [replyNs, replyBaselineNs] = await time(
    context,
    () => serializeMessage(reply),
    () => JSON.stringify(reply),
  );
  rows.push({
    name: 'serializeMessage sign reply',
    ns: replyNs,
    baseline: 'JSON.stringify',
    baselineNs: replyBaselineNs,
    note: 'writes bigints as integer literals, which JSON.stringify refuses',
  });

  return rows;
}
