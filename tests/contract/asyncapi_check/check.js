// Parse an AsyncAPI document with the official parser; print diagnostics and channel addresses as JSON.
// Usage: node check.js path/to/asyncapi.json   (exit code 0 even with diagnostics: the caller judges them)
'use strict';

const fs = require('fs');
const { Parser } = require('@asyncapi/parser');

async function main(file) {
  const { document, diagnostics } = await new Parser().parse(fs.readFileSync(file, 'utf8'));
  const report = {
    valid: document !== undefined,
    diagnostics: diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, path: d.path })),
    channels: document ? document.channels().all().map((c) => c.address()) : [],
    operations: document ? document.operations().all().map((o) => o.id()) : [],
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}

main(process.argv[2]).catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(2);
});
