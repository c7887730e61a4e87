#!/usr/bin/env node
/*
 * `pnpm bench`: every row, in one process, our code next to the alternatives on the same
 * inputs, printed as a table of ratios. See README.md.
 *
 *   node --expose-gc run.mjs [--json] [--markdown] [--save=FILE] [--strict] [--min-time=MS] [--rounds=N] [--only=ID,…]
 *
 * --json      machine-readable results on stdout (progress goes to stderr either way)
 * --markdown  the table as Markdown (for README.md)
 * --save=FILE also write the JSON results to FILE (with the table on stdout)
 * --strict    exit 1 when a target is missed (a failed correctness check always exits 1)
 * --min-time  milliseconds of measurement per function and row (default 300)
 * --rounds    rounds per measurement, the median is reported (default 21)
 * --only      suites to run: sign-round, encode-create, decode, bundle, schema, channel
 */
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { canCollectGarbage, compare, measure, pairedRatio, setDefaults } from './harness.mjs';
import { errorRow, formatMarkdown, formatTable, rateRow, skippedRow, withinRow } from './report.mjs';

const SUITES = [
  { id: 'sign-round', module: './sign-round.bench.mjs' },
  { id: 'encode-create', module: './encode-create.bench.mjs' },
  { id: 'decode', module: './decode.bench.mjs' },
  { id: 'bundle', module: './bundle.bench.mjs' },
  { id: 'schema', module: './schema.bench.mjs', optional: true, adapt: adaptSchemaRows },
  { id: 'channel', module: './channel.bench.mjs', adapt: adaptChannelRows },
];

/**
 * channel.bench.mjs rows are `{ name, perSecond, atLeast?, ceiling?, ceilingRatio?, note }`:
 * throughputs, and for the client the ratio of its time per transfer to the raw-socket
 * ceiling's (≤ 1.5×), paired per round when `ceilingRatio` is given.
 */
function adaptChannelRows(rows) {
  return rows.flatMap((row, index) => {
    const rate = rateRow({ id: `channel-${index}`, name: `transfers/s: ${row.name}`, perSecond: row.perSecond, atLeast: row.atLeast, notes: row.note ? [row.note] : [] });
    if (typeof row.ceiling !== 'number') return [rate];
    return [
      rate,
      withinRow({
        id: `channel-${index}-ceiling`,
        name: `${row.name} vs raw-socket ceiling (time per transfer)`,
        oursNs: 1e9 / row.perSecond,
        otherNs: 1e9 / row.ceiling,
        otherLabel: 'raw',
        atMost: 1.5,
        ...(typeof row.ceilingRatio === 'number' ? { ratio: row.ceilingRatio, notes: ['median of the per-round ratios (each client round timed right after a raw one)'] } : {}),
      }),
    ];
  });
}

function parseArguments(argv) {
  const options = { json: false, markdown: false, strict: false, save: null, only: null, minTimeMs: 300, rounds: 21 };
  for (const argument of argv) {
    const [name, value] = argument.split('=', 2);
    // `pnpm bench -- --json` passes the `--` along.
    if (name === '--') continue;
    if (name === '--json') options.json = true;
    else if (name === '--markdown') options.markdown = true;
    else if (name === '--strict') options.strict = true;
    else if (name === '--save' && value) options.save = value;
    else if (name === '--min-time') options.minTimeMs = positiveNumber(name, value);
    else if (name === '--rounds') options.rounds = Math.round(positiveNumber(name, value));
    else if (name === '--only') options.only = (value ?? '').split(',').filter(Boolean);
    else if (name === '--help' || name === '-h') {
      process.stdout.write(
        'usage: node --expose-gc run.mjs [--json] [--markdown] [--save=FILE] [--strict] [--min-time=MS] [--rounds=N] [--only=ID,…]\n' +
          `suites: ${SUITES.map((suite) => suite.id).join(', ')}\n`,
      );
      process.exit(0);
    } else {
      process.stderr.write(`bench: unknown argument ${argument} (try --help)\n`);
      process.exit(2);
    }
  }
  if (options.only !== null) {
    const unknown = options.only.filter((id) => !SUITES.some((suite) => suite.id === id));
    if (unknown.length > 0) {
      process.stderr.write(`bench: unknown suite(s) ${unknown.join(', ')}\n`);
      process.exit(2);
    }
  }
  return options;
}

function positiveNumber(name, value) {
  const number = Number(value);
  if (!(number > 0)) {
    process.stderr.write(`bench: ${name} needs a positive number, got ${value}\n`);
    process.exit(2);
  }
  return number;
}

/** schema.bench.mjs rows are `{ name, ns, baseline, baselineNs }` (optionally `atMost`, `note`). */
function adaptSchemaRows(rows) {
  if (!Array.isArray(rows)) throw new Error('schema.bench.mjs run() must return an array of rows');
  return rows.map((row, index) => {
    for (const [field, type] of [['name', 'string'], ['ns', 'number'], ['baseline', 'string'], ['baselineNs', 'number']]) {
      if (typeof row?.[field] !== type) throw new Error(`schema.bench.mjs row ${index}: ${field} must be a ${type}`);
    }
    return withinRow({
      id: `schema-${index}`,
      name: row.name,
      oursNs: row.ns,
      otherNs: row.baselineNs,
      otherLabel: row.baseline,
      atMost: typeof row.atMost === 'number' ? row.atMost : undefined,
      notes: typeof row.note === 'string' ? [row.note] : [],
    });
  });
}

function log(message) {
  process.stderr.write(`${message}\n`);
}

async function runSuite(suite, context) {
  const url = new URL(suite.module, import.meta.url);
  if (suite.optional && !existsSync(url)) {
    return [
      skippedRow({
        id: suite.id,
        name: `${suite.id} row`,
        reason: `bench/${suite.module.slice(2)} is not there yet (added by the @aesc/schema work)`,
      }),
    ];
  }
  const started = performance.now();
  log(`bench: ${suite.id} …`);
  try {
    const module = await import(url.href);
    if (typeof module.run !== 'function') throw new Error(`${suite.module} exports no run()`);
    const rows = await module.run(context);
    log(`bench: ${suite.id} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return suite.adapt ? suite.adapt(rows) : rows;
  } catch (error) {
    log(`bench: ${suite.id} FAILED: ${error.stack ?? error}`);
    return [errorRow({ id: suite.id, name: `${suite.id} suite`, error: String(error?.message ?? error) })];
  }
}

function environment(options) {
  const processors = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: processors[0]?.model ?? 'unknown',
    cores: processors.length,
    loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
    gcBetweenRounds: canCollectGarbage,
    minTimeMs: options.minTimeMs,
    rounds: options.rounds,
  };
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  setDefaults({ minTimeMs: options.minTimeMs, rounds: options.rounds });
  const started = new Date();
  const env = environment(options);
  if (!canCollectGarbage) log('bench: run with node --expose-gc (as `pnpm bench` does) to collect garbage between rounds');
  const context = { measure, compare, pairedRatio };
  const rows = [];
  for (const suite of SUITES) {
    if (options.only !== null && !options.only.includes(suite.id)) continue;
    rows.push(...(await runSuite(suite, context)));
  }
  env.loadAverageAtEnd = loadavg().map((load) => Number(load.toFixed(2)));
  const failed = rows.some((row) => row.error !== undefined);
  const missed = rows.some((row) => row.pass === false);

  const results = `${JSON.stringify({ date: started.toISOString(), environment: env, rows }, null, 2)}\n`;
  if (options.save !== null) writeFileSync(options.save, results);
  if (options.json) {
    process.stdout.write(results);
  } else {
    const header =
      `aesc bench — ${started.toISOString()} — Node ${env.node}, ${env.cores} × ${env.cpu}, ` +
      `load average ${env.loadAverage[0]} → ${env.loadAverageAtEnd[0]}; median of ${env.rounds} interleaved rounds, ` +
      `${env.minTimeMs} ms per function, ratios paired per round`;
    process.stdout.write(`${header}\n\n${options.markdown ? formatMarkdown(rows) : formatTable(rows)}\n`);
  }
  if (failed || (options.strict && missed)) process.exitCode = 1;
}

await main();
