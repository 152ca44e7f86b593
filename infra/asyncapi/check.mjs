// Parses an AsyncAPI document with the AsyncAPI Initiative's parser (@asyncapi/parser, the one
// AsyncAPI Studio, the generator and the CLI use) and prints its diagnostics.
// Usage: node check.mjs FILE [--json]
// Exit 0 when the parser reports no error (warnings, information and hints are printed, not fatal);
// 1 when it reports any error; 2 when the file cannot be read.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const [file, flag] = process.argv.slice(2);
if (!file) {
  console.error("usage: node check.mjs FILE [--json]");
  process.exit(2);
}
let text;
try {
  text = readFileSync(file, "utf8");
} catch (err) {
  console.error(`cannot read ${file}: ${err.message}`);
  process.exit(2);
}

const severities = { [DiagnosticSeverity.Error]: "error", [DiagnosticSeverity.Warning]: "warning",
                     [DiagnosticSeverity.Information]: "information", [DiagnosticSeverity.Hint]: "hint" };
const parser = new Parser();
const { document, diagnostics } = await parser.parse(text, { source: resolve(file) });
const found = diagnostics.map((d) => ({
  severity: severities[d.severity] ?? String(d.severity),
  code: String(d.code),
  path: d.path.join("/"),
  message: d.message,
}));
const errors = found.filter((d) => d.severity === "error");
if (flag === "--json") {
  console.log(JSON.stringify({ parsed: document !== undefined, diagnostics: found }));
} else {
  for (const d of found) console.log(`${d.severity} ${d.code} /${d.path}: ${d.message}`);
  console.log(`${file}: ${errors.length} error(s), ${found.length - errors.length} other diagnostic(s)`);
}
process.exit(errors.length === 0 && document !== undefined ? 0 : 1);
