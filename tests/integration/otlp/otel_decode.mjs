#!/usr/bin/env node
// tests/integration/otlp/otel_decode.mjs - decode captured OTLP/JSON export
// bodies with the real OpenTelemetry message definitions and prove nothing
// was lost on the way.
//
//   node otel_decode.mjs [--modules DIR] PATH...
//
// PATH: a body (one ExportTraceServiceRequest, ExportMetricsServiceRequest
// or ExportLogsServiceRequest as OTLP/JSON) or a directory, whose *.json
// files are read in name order (the receiver's NNNN-SIGNAL.json). DIR: where
// scripts/otlp-decoder.sh installed the pinned @opentelemetry/otlp-transformer
// (default $VOIDBOX_OTLP_DECODER_DIR, else ~/.cache/voidbox/otlp-decoder);
// its build/src/generated/root.js is the protobufjs code generated from
// opentelemetry-proto.
//
// For each body: the OTLP/JSON hex ids (traceId, spanId, parentSpanId) become
// bytes as the OTLP JSON mapping requires, fromObject builds the request
// message, verify checks it, it is encoded to protobuf and decoded again, and
// the decoded message is compared with the original field by field.
// protobufjs' fromObject silently drops unknown keys and coerces types, so the
// comparison is what catches a misspelled field (absent after the round
// trip), a wrong JSON type (a number where a string field is, an int64 as a
// JSON number, an enum as a name) and a wrong value (out-of-range enums fail
// verify). Prints "ok FILE: ..." per body, or "FAIL FILE: PATH: why" with the
// JSON path of the first mismatch; exits 1 when any body failed, 2 on usage
// errors or when the definitions are not installed.
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

function usage(msg) {
  console.error(`otel_decode: ${msg}\nusage: node otel_decode.mjs [--modules DIR] PATH...`);
  process.exit(2);
}

const args = process.argv.slice(2);
let modules = process.env.VOIDBOX_OTLP_DECODER_DIR ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "voidbox", "otlp-decoder");
const paths = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--modules") {
    if (i + 1 >= args.length) usage("--modules needs a directory");
    modules = args[++i];
  } else if (args[i].startsWith("-")) {
    usage(`unknown option ${args[i]}`);
  } else {
    paths.push(args[i]);
  }
}
if (paths.length === 0) usage("no body given");

const PKG = "@opentelemetry/otlp-transformer";
let root, version;
try {
  const req = createRequire(path.join(path.resolve(modules), "package.json"));
  version = req(`${PKG}/package.json`).version;
  root = req(`${PKG}/build/src/generated/root.js`);
} catch (e) {
  console.error(`otel_decode: ${PKG} is not installed in ${modules} (scripts/otlp-decoder.sh): ${e.message}`);
  process.exit(2);
}
const v1 = root.opentelemetry.proto.collector;
const SIGNALS = {
  resourceSpans: { name: "traces", type: v1.trace.v1.ExportTraceServiceRequest },
  resourceMetrics: { name: "metrics", type: v1.metrics.v1.ExportMetricsServiceRequest },
  resourceLogs: { name: "logs", type: v1.logs.v1.ExportLogsServiceRequest },
};
// The OTLP/JSON id fields: hex, not base64 as proto3 JSON would have them.
const ID_BYTES = { traceId: 16, spanId: 8, parentSpanId: 8 };

class Mismatch extends Error {
  constructor(where, why) {
    super(`${where || "(request)"}: ${why}`);
  }
}

const join = (where, key) => (typeof key === "number" ? `${where}[${key}]` : where ? `${where}.${key}` : key);

// The body with its hex ids as bytes (the only transformation the OTLP JSON
// mapping makes beyond proto3's); everything else untouched.
function idsToBytes(v, where) {
  if (Array.isArray(v)) return v.map((e, i) => idsToBytes(e, join(where, i)));
  if (v === null || typeof v !== "object") return v;
  const out = {};
  for (const [k, e] of Object.entries(v)) {
    if (k in ID_BYTES && typeof e === "string") {
      if (!/^([0-9a-fA-F]{2})*$/.test(e)) throw new Mismatch(join(where, k), `'${e}' is not hex`);
      if (e.length !== 0 && e.length !== 2 * ID_BYTES[k])
        throw new Mismatch(join(where, k), `'${e}' is ${e.length / 2} bytes, an OTLP ${k} is ${ID_BYTES[k]}`);
      out[k] = Buffer.from(e, "hex");
    } else {
      out[k] = idsToBytes(e, join(where, k));
    }
  }
  return out;
}

const kind = (v) => (v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`);
const NON_FINITE = new Set(["NaN", "Infinity", "-Infinity"]);

// Compare the original JSON (orig) with the decoded message seen twice:
// asStr (int64 as strings, bytes as base64) and asNum (int64 as numbers),
// which together tell an int64 field from a string field.
function compare(orig, asStr, asNum, where, key) {
  if (orig === null) return; // proto3 JSON: null is the default
  if (Array.isArray(orig)) {
    if (!Array.isArray(asStr)) throw new Mismatch(where, `${kind(orig)} where the message has ${kind(asStr)}`);
    if (orig.length !== asStr.length)
      throw new Mismatch(where, `${orig.length} elements sent, ${asStr.length} decoded`);
    orig.forEach((e, i) => compare(e, asStr[i], asNum[i], join(where, i), key));
    return;
  }
  if (typeof orig === "object") {
    if (asStr === null || typeof asStr !== "object" || Array.isArray(asStr))
      throw new Mismatch(where, `an object where the message has ${kind(asStr)}`);
    for (const [k, e] of Object.entries(orig)) {
      if (!(k in asStr))
        throw new Mismatch(join(where, k), "not a field of this message: the decoder dropped it (misspelled?)");
      compare(e, asStr[k], asNum[k], join(where, k), k);
    }
    return;
  }
  if (key in ID_BYTES && typeof orig === "string") {
    const hex = Buffer.from(asStr, "base64").toString("hex");
    if (hex !== orig.toLowerCase()) throw new Mismatch(where, `sent '${orig}', decoded '${hex}'`);
    return;
  }
  const isInt64 = typeof asStr === "string" && typeof asNum === "number";
  if (typeof orig === "number") {
    if (isInt64) throw new Mismatch(where, `an int64 field: OTLP/JSON sends it as a decimal string, got the number ${orig}`);
    if (typeof asStr !== "number") throw new Mismatch(where, `a number where the message has a ${typeof asStr} field`);
    if (orig !== asStr) throw new Mismatch(where, `sent ${orig}, decoded ${asStr}`);
    return;
  }
  if (typeof orig === "string") {
    if (typeof asStr === "number") {
      if (NON_FINITE.has(orig) && Number.isNaN(asStr) === (orig === "NaN")) return;
      throw new Mismatch(where, `the string '${orig}' where the message has a number (an int32, enum or double: OTLP/JSON sends enums as integers)`);
    }
    if (typeof asStr !== "string") throw new Mismatch(where, `a string where the message has ${kind(asStr)}`);
    if (orig !== asStr) throw new Mismatch(where, `sent '${orig}', decoded '${asStr}'${isInt64 ? " (not a decimal int64)" : ""}`);
    return;
  }
  if (typeof orig === "boolean") {
    if (typeof asStr !== "boolean") throw new Mismatch(where, `a boolean where the message has ${kind(asStr)}`);
    if (orig !== asStr) throw new Mismatch(where, `sent ${orig}, decoded ${asStr}`);
    return;
  }
  throw new Mismatch(where, `unexpected JSON value ${kind(orig)}`);
}

// verify names a failing field without array indices: find the innermost
// message that fails and throw with its JSON path.
function locateVerify(msg, where) {
  const isMsg = (v) => v !== null && typeof v === "object" && typeof v.constructor?.verify === "function";
  for (const [k, v] of Object.entries(msg)) {
    const elems = Array.isArray(v) ? v.map((e, i) => [e, join(join(where, k), i)]) : [[v, join(where, k)]];
    for (const [e, at] of elems) if (isMsg(e) && e.constructor.verify(e)) locateVerify(e, at);
  }
  const why = msg.constructor.verify(msg);
  const colon = why.indexOf(": ");
  throw new Mismatch(join(where, why.slice(0, colon)), `${why.slice(colon + 2)} (verify)`);
}

function count(signal, doc) {
  let n = 0;
  if (signal === "traces") for (const r of doc.resourceSpans) for (const s of r.scopeSpans || []) n += (s.spans || []).length;
  if (signal === "logs") for (const r of doc.resourceLogs) for (const s of r.scopeLogs || []) n += (s.logRecords || []).length;
  if (signal === "metrics") for (const r of doc.resourceMetrics) for (const s of r.scopeMetrics || []) n += (s.metrics || []).length;
  return `${n} ${signal === "traces" ? "spans" : signal === "logs" ? "log records" : "metrics"}`;
}

function decodeOne(file) {
  const text = fs.readFileSync(file, "utf8");
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Mismatch("", `not JSON: ${e.message}`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new Mismatch("", `${kind(doc)}, not a request object`);
  const tops = Object.keys(doc).filter((k) => k in SIGNALS);
  if (tops.length !== 1) throw new Mismatch("", `want exactly one of ${Object.keys(SIGNALS).join(", ")}; has ${Object.keys(doc).join(", ") || "nothing"}`);
  const sig = SIGNALS[tops[0]];
  const named = path.basename(file).match(/-(traces|metrics|logs)\.json$/);
  if (named && named[1] !== sig.name) throw new Mismatch("", `a ${sig.name} request in a file named for ${named[1]}`);
  let msg;
  try {
    msg = sig.type.fromObject(idsToBytes(doc, ""));
  } catch (e) {
    if (e instanceof Mismatch) throw e;
    throw new Mismatch("", `fromObject: ${e.message}`);
  }
  if (sig.type.verify(msg)) locateVerify(msg, "");
  const wire = sig.type.encode(msg).finish();
  const back = sig.type.decode(wire);
  const opts = { defaults: true, arrays: true, enums: Number, bytes: String };
  const asStr = sig.type.toObject(back, { ...opts, longs: String });
  const asNum = sig.type.toObject(back, { ...opts, longs: Number });
  compare(doc, asStr, asNum, "", "");
  return `${sig.name}, ${count(sig.name, doc)}, ${wire.length} protobuf bytes`;
}

const files = [];
for (const p of paths) {
  let st;
  try {
    st = fs.statSync(p);
  } catch (e) {
    usage(`${p}: ${e.message}`);
  }
  if (st.isDirectory()) {
    const names = fs.readdirSync(p).filter((n) => n.endsWith(".json")).sort();
    if (names.length === 0) usage(`${p}: no .json bodies`);
    for (const n of names) files.push(path.join(p, n));
  } else {
    files.push(p);
  }
}
let failed = 0;
for (const f of files) {
  try {
    console.log(`ok ${f}: ${decodeOne(f)}`);
  } catch (e) {
    if (!(e instanceof Mismatch)) throw e;
    console.log(`FAIL ${f}: ${e.message}`);
    failed++;
  }
}
console.log(`otel_decode: ${files.length - failed} of ${files.length} bodies decoded intact (${PKG} ${version})`);
process.exit(failed ? 1 : 0);
