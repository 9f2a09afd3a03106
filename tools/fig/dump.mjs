// Evaluates every Fig autocomplete spec of an unpacked @withfig/autocomplete package and prints
// them as one JSON object keyed by the spec's path under build/ without ".js" ("tar", "aws/s3",
// "@capgo/cli"). Functions (generators, custom parsers, dynamic suggestions) cannot be written
// as JSON and are dropped; a spec that fails to load is written as {"error": "..."}.
// Usage: node tools/fig/dump.mjs PACKAGE/build > dump.json
import fs from 'fs';
import path from 'path';
import { pathToFileURL } from 'url';

const root = process.argv[2];
const out = {};

function clean(v) {
  if (typeof v === 'function') return undefined;
  if (Array.isArray(v)) return v.map(clean).filter((x) => x !== undefined);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) {
      const c = clean(x);
      if (c !== undefined) o[k] = c;
    }
    return o;
  }
  return v;
}

function files(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...files(full));
    else if (entry.name.endsWith('.js')) found.push(full);
  }
  return found;
}

for (const file of files(root).sort()) {
  const key = path.relative(root, file).split(path.sep).join('/').slice(0, -3);
  try {
    const m = await import(pathToFileURL(file));
    out[key] = clean(m.default);
  } catch (e) {
    out[key] = { error: String(e) };
  }
}
process.stdout.write(JSON.stringify(out));
