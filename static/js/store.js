// The learner's record, in one versioned localStorage entry; no accounts, no server state.
// {"version": 2,
//  "completed": {"12": "2026-11-24T10:00:00.000Z", ...},
//  "practice": {"04:2": {"result": "right", "box": 2, "due": "<ISO date>", "at": "<ISO date>"}}}
// Version 1 ({"version": 1, "completed": {...}}, key hlw.progress.v1) is migrated on read.
// The same object is the export file, so an export carries progress, mastery and schedule.
export const KEY = "hlw.progress.v2";
const OLD_KEY = "hlw.progress.v1";
const ID = /^\d{2}[a-z]?$/;
const QUESTION = /^(\d{2}[a-z]?):(\d{1,2})$/;
const RESULTS = new Set(["right", "had", "partly", "wrong", "not-yet", "revealed"]);
const MASTERED = new Set(["right", "had"]);

// Spaced review by Leitner boxes (S. Leitner, "So lernt man lernen", 1972): a miss puts a
// question in box 0, due again in 10 minutes; each right answer moves it up one box, due
// after that box's interval; "partly" puts it in box 1. Intervals roughly double, as in
// SuperMemo's SM-2 (P. Wozniak, 1990).
const MISS_MINUTES = 10;
const INTERVAL_DAYS = [1, 3, 7, 16, 35, 90];
const DAY_MS = 86400000;

function empty() {
  return { version: 2, completed: {}, practice: {} };
}

function isDate(value) {
  return typeof value === "string" && value.length <= 40 && !Number.isNaN(Date.parse(value));
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// Check a stored or imported record and bring it to version 2. Throws an Error whose
// message says what is wrong; never returns half a record.
export function migrate(data) {
  if (!isObject(data) || (data.version !== 1 && data.version !== 2)) {
    throw new Error("it is not a progress file from this course (no version 1 or 2)");
  }
  if (!isObject(data.completed)) throw new Error("its 'completed' list is missing");
  const out = empty();
  for (const [id, when] of Object.entries(data.completed)) {
    if (!ID.test(id) || !isDate(when)) throw new Error(`module entry '${String(id).slice(0, 12)}' is malformed`);
    out.completed[id] = when;
  }
  if (data.version === 1) return out;
  if (!isObject(data.practice)) throw new Error("its 'practice' record is missing");
  for (const [key, rec] of Object.entries(data.practice)) {
    const ok = QUESTION.test(key) && isObject(rec) && RESULTS.has(rec.result) &&
      Number.isInteger(rec.box) && rec.box >= 0 && rec.box <= INTERVAL_DAYS.length &&
      isDate(rec.due) && isDate(rec.at);
    if (!ok) throw new Error(`practice entry '${String(key).slice(0, 12)}' is malformed`);
    out.practice[key] = { result: rec.result, box: rec.box, due: rec.due, at: rec.at };
  }
  return out;
}

export function load() {
  try {
    const raw = localStorage.getItem(KEY) ?? localStorage.getItem(OLD_KEY);
    if (raw) return migrate(JSON.parse(raw));
  } catch (e) { /* corrupt or blocked storage: start fresh */ }
  return empty();
}

export function save(data) {
  try {
    localStorage.setItem(KEY, JSON.stringify(data));
    localStorage.removeItem(OLD_KEY);
  } catch (e) { /* storage full or blocked: this visit still shows it */ }
  window.dispatchEvent(new CustomEvent("hlw:progress"));
}

// Keep only entries whose module this page knows; returns [kept record, dropped count].
export function onlyKnown(data, known) {
  const out = empty();
  let dropped = 0;
  for (const [id, when] of Object.entries(data.completed)) {
    if (known.has(id)) out.completed[id] = when; else dropped += 1;
  }
  for (const [key, rec] of Object.entries(data.practice)) {
    if (known.has(key.split(":")[0])) out.practice[key] = rec; else dropped += 1;
  }
  return [out, dropped];
}

// Record one outcome: "right"/"had" (first try), "right-after-miss", "partly", or a miss
// ("wrong", "not-yet", "revealed"). Returns the new entry.
export function record(key, outcome, now = new Date()) {
  const data = load();
  const before = data.practice[key];
  const box = before ? before.box : 0;
  let entry;
  if (outcome === "right" || outcome === "had") {
    const next = Math.min(box + 1, INTERVAL_DAYS.length);
    entry = { result: outcome, box: next, due: new Date(now.getTime() + INTERVAL_DAYS[next - 1] * DAY_MS) };
  } else if (outcome === "right-after-miss") {
    entry = { result: "right", box: 0, due: before ? new Date(before.due) : new Date(now.getTime() + MISS_MINUTES * 60000) };
  } else if (outcome === "partly") {
    entry = { result: "partly", box: 1, due: new Date(now.getTime() + INTERVAL_DAYS[0] * DAY_MS) };
  } else {
    entry = { result: outcome, box: 0, due: new Date(now.getTime() + MISS_MINUTES * 60000) };
  }
  entry = { ...entry, due: entry.due.toISOString(), at: now.toISOString() };
  data.practice[key] = entry;
  save(data);
  return entry;
}

export function dueKeys(data, now = new Date()) {
  return Object.entries(data.practice)
    .filter(([, rec]) => Date.parse(rec.due) <= now.getTime())
    .sort((a, b) => Date.parse(a[1].due) - Date.parse(b[1].due))
    .map(([key]) => key);
}

export function rightCount(data, moduleId, questions) {
  let right = 0;
  for (let n = 1; n <= questions; n += 1) {
    const rec = data.practice[`${moduleId}:${n}`];
    if (rec && MASTERED.has(rec.result)) right += 1;
  }
  return right;
}

export function when(iso, now = new Date()) {
  const ms = Date.parse(iso) - now.getTime();
  if (ms <= 0) return "now";
  const minutes = Math.round(ms / 60000);
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `in ${hours} h`;
  return `in ${Math.round(hours / 24)} days`;
}
