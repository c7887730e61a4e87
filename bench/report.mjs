/*
 * Rows and the table. A row compares our figure with another one on the same work:
 *   - `faster`: the other side's time over ours ("SDK/ours 40×"), target a minimum;
 *   - `within`: our time over the other side's ("ours/hand 1.1×"), target a maximum;
 *   - `size`: our bundle in bytes against an absolute maximum, the other side's for scale;
 *   - `info`: a ratio for context, no target.
 * Extra properties (`breakdown`, `breakdownTitle`: steps timed one by one) pass through.
 */

/**
 * `ratio`, when given, is the paired per-round ratio of the harness (`pairedRatio`); without
 * it the ratio of the two medians is used.
 */
export function fasterRow({ id, name, oursNs, otherNs, otherLabel, atLeast, ratio = otherNs / oursNs, notes, ...extra }) {
  return {
    ratioQuartiles: pairedQuartiles(extra.timing?.other, extra.timing?.ours),
    id,
    name,
    unit: 'ns',
    ours: oursNs,
    other: otherNs,
    otherLabel,
    ratio,
    ratioLabel: `${otherLabel}/ours`,
    target: atLeast === undefined ? null : { op: '>=', value: atLeast, of: 'ratio' },
    pass: atLeast === undefined ? null : ratio >= atLeast,
    notes: notes ?? [],
    ...extra,
  };
}

export function withinRow({ id, name, oursNs, otherNs, otherLabel, atMost, ratio = oursNs / otherNs, notes, ...extra }) {
  return {
    ratioQuartiles: pairedQuartiles(extra.timing?.ours, extra.timing?.other),
    id,
    name,
    unit: 'ns',
    ours: oursNs,
    other: otherNs,
    otherLabel,
    ratio,
    ratioLabel: `ours/${otherLabel}`,
    target: atMost === undefined ? null : { op: '<=', value: atMost, of: 'ratio' },
    pass: atMost === undefined ? null : ratio <= atMost,
    notes: notes ?? [],
    ...extra,
  };
}

export function sizeRow({ id, name, oursBytes, otherBytes, otherLabel, atMostBytes, notes, ...extra }) {
  return {
    id,
    name,
    unit: 'bytes',
    ours: oursBytes,
    other: otherBytes,
    otherLabel,
    ratio: otherBytes / oursBytes,
    ratioLabel: `${otherLabel}/ours`,
    target: atMostBytes === undefined ? null : { op: '<=', value: atMostBytes, of: 'ours' },
    pass: atMostBytes === undefined ? null : oursBytes <= atMostBytes,
    notes: notes ?? [],
    ...extra,
  };
}

/**
 * First and third quartiles of the per-round ratios `numerator / denominator` (harness results
 * with `samples`), to show how much a ratio moved from round to round; null without samples.
 */
function pairedQuartiles(numerator, denominator) {
  if (!Array.isArray(numerator?.samples) || !Array.isArray(denominator?.samples)) return null;
  const ratios = numerator.samples.map((sample, round) => sample / denominator.samples[round]).sort((left, right) => left - right);
  const at = (fraction) => ratios[Math.min(ratios.length - 1, Math.round(fraction * (ratios.length - 1)))];
  return [at(0.25), at(0.75)];
}

/** A suite that threw (a failed correctness check, a broken package): printed, and exit code 1. */
/** A throughput (per second), against a floor when there is one: `atLeast` per second. */
export function rateRow({ id, name, perSecond, atLeast, notes, ...extra }) {
  return {
    id,
    name,
    unit: 'rate',
    ours: perSecond,
    other: atLeast ?? null,
    otherLabel: atLeast === undefined ? '' : 'target',
    ratio: atLeast === undefined ? null : perSecond / atLeast,
    ratioLabel: 'ours/target',
    target: atLeast === undefined ? null : { op: '>=', value: atLeast, of: 'rate' },
    pass: atLeast === undefined ? null : perSecond >= atLeast,
    notes: notes ?? [],
    ...extra,
  };
}

export function errorRow({ id, name, error }) {
  return { id, name, error, pass: null, notes: [] };
}

/** A row that could not be measured: printed with its reason, never silently left out. */
export function skippedRow({ id, name, reason }) {
  return { id, name, skipped: reason, pass: null, notes: [] };
}

function formatTime(ns) {
  const micros = ns / 1000;
  if (micros >= 100) return `${micros.toFixed(0)} µs`;
  if (micros >= 10) return `${micros.toFixed(1)} µs`;
  if (micros >= 1) return `${micros.toFixed(2)} µs`;
  return `${micros.toFixed(3)} µs`;
}

/** kB of 1000 bytes, the unit the targets (and the SDK's "169 KB") are given in, to the byte: 9 964 bytes never read "10.0 kB". */
function formatBytes(bytes) {
  return `${(bytes / 1000).toFixed(3)} kB`;
}

function formatRatio(ratio) {
  if (ratio >= 100) return `${ratio.toFixed(0)}×`;
  if (ratio >= 10) return `${ratio.toFixed(1)}×`;
  return `${ratio.toFixed(2)}×`;
}

/** A ratio that rounds to its target shows two more decimals, so that a MISS never reads "20.0× ≥ 20.0×". */
function formatRatioAgainst(ratio, target) {
  const shown = formatRatio(ratio);
  if (target?.of !== 'ratio' || shown !== formatRatio(target.value)) return shown;
  return `${ratio.toFixed(ratio >= 10 ? 3 : 4)}×`;
}

function formatTarget(row) {
  if (row.target === null || row.target === undefined) return 'report';
  const sign = row.target.op === '>=' ? '≥' : '≤';
  if (row.target.of === 'ours') return `ours ${sign} ${formatBytes(row.target.value)}`;
  if (row.target.of === 'rate') return `${sign} ${row.target.value}/s`;
  return `${sign} ${formatRatio(row.target.value)}`;
}

function verdict(row) {
  if (row.error !== undefined) return 'ERROR';
  if (row.skipped !== undefined) return 'SKIPPED';
  if (row.pass === null) return '—';
  return row.pass ? 'PASS' : 'MISS';
}

/** The cells of each row, as strings. */
export function tableCells(rows) {
  return rows.map((row) => {
    if (row.skipped !== undefined || row.error !== undefined) {
      return { row: row.name, ours: '—', other: '—', ratio: '—', target: '—', result: verdict(row) };
    }
    if (row.unit === 'rate') {
      return {
        row: row.name,
        ours: `${row.ours.toFixed(0)}/s`,
        other: row.other === null ? '—' : `${row.other}/s target`,
        ratio: row.ratio === null ? '—' : `${row.ratioLabel} ${formatRatio(row.ratio)}`,
        target: formatTarget(row),
        result: verdict(row),
      };
    }
    const format = row.unit === 'bytes' ? formatBytes : formatTime;
    return {
      row: row.name,
      ours: format(row.ours),
      other: `${format(row.other)} ${row.otherLabel}`,
      ratio:
        `${row.ratioLabel} ${formatRatioAgainst(row.ratio, row.target)}` +
        (row.ratioQuartiles ? ` (${row.ratioQuartiles.map((value) => formatRatio(value).replace('×', '')).join('–')})` : ''),
      target: formatTarget(row),
      result: verdict(row),
    };
  });
}

const COLUMNS = [
  ['row', 'row'],
  ['ours', 'ours'],
  ['other', 'other'],
  ['ratio', 'ratio'],
  ['target', 'target'],
  ['result', 'result'],
];

function footnotes(rows) {
  const notes = [];
  for (const row of rows) {
    if (row.error !== undefined) notes.push(`${row.name}: FAILED — ${row.error}`);
    else if (row.skipped !== undefined) notes.push(`${row.name}: skipped — ${row.skipped}`);
    for (const note of row.notes ?? []) notes.push(`${row.name}: ${note}`);
  }
  return notes.map((note) => `* ${note}`);
}

/** Steps some rows time one by one, to show where their time goes. */
function breakdowns(rows) {
  return rows.filter((row) => Array.isArray(row.breakdown)).map((row) => ({ title: row.breakdownTitle ?? row.name, steps: row.breakdown }));
}

function plainTable(header, body) {
  const widths = header.map((title, index) => Math.max(title.length, ...body.map((cells) => cells[index].length)));
  const line = (values) => values.map((value, index) => value.padEnd(widths[index])).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)];
}

function markdownTable(header, body) {
  const escape = (text) => text.replaceAll('|', '\\|');
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((cells) => `| ${cells.map(escape).join(' | ')} |`),
  ];
}

function format(rows, table) {
  const cells = tableCells(rows);
  const lines = table(
    COLUMNS.map(([, title]) => title),
    cells.map((cell) => COLUMNS.map(([key]) => cell[key])),
  );
  const notes = footnotes(rows);
  if (notes.length > 0) lines.push('', ...notes);
  for (const { title, steps } of breakdowns(rows)) {
    lines.push('', `${title}:`, '');
    lines.push(...table(['side', 'step', 'time'], steps.map((step) => [step.side, step.name, formatTime(step.ns)])));
  }
  return lines.join('\n');
}

/** A plain-text table, one line per row, with the notes, skip reasons and breakdowns below it. */
export function formatTable(rows) {
  return format(rows, plainTable);
}

/** The same as Markdown, for bench/README.md. */
export function formatMarkdown(rows) {
  return format(rows, markdownTable);
}
