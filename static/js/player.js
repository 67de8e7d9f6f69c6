// Narration player: custom controls over the <audio> element, read-along highlighting,
// "play from here" buttons, a transcript, and resume (position + speed per module).
// Storage: localStorage "hlw.narration.v1" =
//   {"version": 1, "autoplay": false, "follow": false, "speed": 1,
//    "modules": {"12": {"t": 123.4, "speed": 1.5}}}
const KEY = "hlw.narration.v1";
const SKIP_S = 15;
const SAVE_EVERY_MS = 2000;
const RESUME_MIN_S = 2; // a saved place this close to either end starts from the beginning
const ANCHORS = {
  title: ".lesson-header h1", tagline: ".lesson-header .tagline", ideas: "#core-ideas",
  practice: "#practice-title", lesson: "#lesson",
};
const TYPING_INPUTS = new Set(["text", "search", "email", "number", "password", "tel", "url",
  "date", "datetime-local", "month", "time", "week"]);

function loadPrefs() {
  try {
    const data = JSON.parse(localStorage.getItem(KEY));
    if (data && data.version === 1 && data.modules && typeof data.modules === "object") return data;
  } catch (e) { /* corrupt or blocked storage: start fresh */ }
  return { version: 1, autoplay: false, follow: false, speed: 1, modules: {} };
}

// Read-modify-write, so two open lessons do not overwrite each other's saved places.
function updatePrefs(change) {
  const prefs = loadPrefs();
  change(prefs);
  try { localStorage.setItem(KEY, JSON.stringify(prefs)); } catch (e) { /* not remembered */ }
  return prefs;
}

function formatTime(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

function seconds(stamp) {
  const [h, m, s] = stamp.split(":");
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

// WebVTT as written by app/narration/vtt.py: id line, timing line, one text line.
function parseVtt(text) {
  const cues = [];
  for (const block of text.replace(/\r/g, "").split(/\n\s*\n/).slice(1)) {
    const lines = block.split("\n").filter(Boolean);
    if (!lines.length || lines[0].startsWith("NOTE")) continue;
    const hasId = !lines[0].includes("-->");
    const timing = (hasId ? lines[1] : lines[0]) || "";
    const m = /^(\S+)\s+-->\s+(\S+)/.exec(timing);
    if (!m) continue;
    const body = lines.slice(hasId ? 2 : 1).join(" ")
      .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    cues.push({ id: hasId ? lines[0] : "", start: seconds(m[1]), end: seconds(m[2]), text: body });
  }
  return cues;
}

function anchorOf(cueId) { return cueId.replace(/-\d+$/, ""); }

// The page element a cue reads: bN -> [data-block=N], idea2 -> 2nd core idea, q1 -> question 1.
function elementFor(anchor) {
  let m = /^b(\d+)$/.exec(anchor);
  if (m) return document.querySelector(`#lesson [data-block="${m[1]}"]`);
  m = /^idea(\d+)$/.exec(anchor);
  if (m) return document.querySelector(`.ideas > li:nth-child(${m[1]})`);
  m = /^q(\d+)$/.exec(anchor);
  if (m) return document.querySelector(`.practice > li:nth-child(${m[1]}) .question-text`);
  m = /^p(\d+)$/.exec(anchor);
  if (m) return document.querySelector(`#lesson .piece[data-piece="${m[1]}"]`);
  return ANCHORS[anchor] ? document.querySelector(ANCHORS[anchor]) : null;
}

// Index of the cue playing at time t (cues are sorted and contiguous), or -1.
function cueAt(cues, t) {
  let lo = 0, hi = cues.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cues[mid].start <= t) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

function isTyping(el) {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  return el.tagName === "INPUT" && TYPING_INPUTS.has((el.type || "text").toLowerCase());
}

function setup(root) {
  const $ = (id) => document.getElementById(id);
  const audio = $("player-audio");
  const id = root.dataset.id;
  let prefs = loadPrefs();
  const saved = prefs.modules[id] || {};
  const status = (text) => { $("player-status").textContent = text; };
  const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)").matches;
  let cues = [], current = -1, lastSave = 0, dragging = false;

  audio.removeAttribute("controls");
  audio.hidden = true;
  $("player-bar").hidden = false;

  const remember = () => {
    const t = audio.ended ? 0 : audio.currentTime;
    prefs = updatePrefs((p) => { p.modules[id] = { t: Math.round(t * 10) / 10, speed: audio.playbackRate }; });
    lastSave = Date.now();
  };

  const setSpeed = (speed, persist) => {
    audio.defaultPlaybackRate = speed;
    audio.playbackRate = speed;
    $("player-speed").value = String(speed);
    if (persist) { prefs = updatePrefs((p) => { p.speed = speed; }); remember(); }
  };
  const speed = Number(saved.speed || prefs.speed || 1);
  setSpeed([0.75, 1, 1.25, 1.5, 1.75, 2].includes(speed) ? speed : 1, false);

  const showTime = () => {
    const total = Number.isFinite(audio.duration) ? audio.duration : Number(root.dataset.duration);
    $("player-elapsed").textContent = formatTime(audio.currentTime);
    $("player-total").textContent = formatTime(Math.round(total));
    const seek = $("player-seek");
    seek.max = String(total);
    if (!dragging) seek.value = String(audio.currentTime);
    seek.setAttribute("aria-valuetext", `${formatTime(audio.currentTime)} of ${formatTime(total)}`);
  };

  const highlight = () => {
    const index = cueAt(cues, audio.currentTime);
    if (index === current) return;
    const before = current >= 0 ? elementFor(anchorOf(cues[current].id)) : null;
    current = index;
    const el = index >= 0 ? elementFor(anchorOf(cues[index].id)) : null;
    document.querySelectorAll(".transcript-cue.is-current").forEach((c) => c.classList.remove("is-current"));
    if (index >= 0) {
      const span = document.querySelector(`[data-cue="${CSS.escape(cues[index].id)}"]`);
      if (span) span.classList.add("is-current");
    }
    if (el === before) return;
    if (before) before.classList.remove("is-speaking");
    if (!el) return;
    el.classList.add("is-speaking");
    if (prefs.follow && !audio.paused) {
      const box = el.getBoundingClientRect();
      const top = root.getBoundingClientRect().bottom;
      if (box.top < top || box.bottom > innerHeight) {
        el.scrollIntoView({ block: "center", behavior: reducedMotion ? "auto" : "smooth" });
      }
    }
  };

  const play = () => audio.play().catch(() => status("The browser blocked playback: press Play."));
  const toggle = () => (audio.paused ? play() : audio.pause());
  const skip = (delta) => {
    const end = Number.isFinite(audio.duration) ? audio.duration : Infinity;
    audio.currentTime = Math.min(Math.max(audio.currentTime + delta, 0), end);
  };
  const seekTo = (t) => { audio.currentTime = t; showTime(); highlight(); };

  $("player-play").addEventListener("click", toggle);
  $("player-back").addEventListener("click", () => skip(-SKIP_S));
  $("player-forward").addEventListener("click", () => skip(SKIP_S));
  $("player-speed").addEventListener("change", (e) => setSpeed(Number(e.target.value), true));
  const seek = $("player-seek");
  seek.addEventListener("pointerdown", () => { dragging = true; });
  seek.addEventListener("pointerup", () => { dragging = false; });
  seek.addEventListener("change", () => { dragging = false; });
  seek.addEventListener("input", () => seekTo(Number(seek.value)));
  for (const [box, key] of [["player-autoplay", "autoplay"], ["player-follow", "follow"]]) {
    $(box).checked = Boolean(prefs[key]);
    $(box).addEventListener("change", () => { prefs = updatePrefs((p) => { p[key] = $(box).checked; }); });
  }

  audio.addEventListener("play", () => {
    $("player-play-label").textContent = "Pause";
    root.classList.add("is-playing");
    document.body.classList.add("narration-playing");
    status("");
  });
  audio.addEventListener("pause", () => {
    $("player-play-label").textContent = "Play";
    root.classList.remove("is-playing");
    document.body.classList.remove("narration-playing");
    remember();
  });
  audio.addEventListener("ended", remember);
  audio.addEventListener("seeked", remember);
  audio.addEventListener("ratechange", () => { $("player-speed").value = String(audio.playbackRate); });
  audio.addEventListener("timeupdate", () => {
    showTime();
    highlight();
    if (!audio.paused && Date.now() - lastSave > SAVE_EVERY_MS) remember();
  });
  audio.addEventListener("error", () => status("The narration could not be loaded."));
  const onMetadata = () => {
    const t = Number(saved.t || 0);
    if (t > RESUME_MIN_S && t < audio.duration - RESUME_MIN_S) {
      audio.currentTime = t;
      status(`Resuming at ${formatTime(t)}.`);
    }
    audio.playbackRate = audio.defaultPlaybackRate;
    showTime();
    if (prefs.autoplay) play();
  };
  // The metadata may have arrived before this module ran.
  if (audio.readyState >= HTMLMediaElement.HAVE_METADATA) onMetadata();
  else audio.addEventListener("loadedmetadata", onMetadata, { once: true });
  addEventListener("pagehide", () => { if (audio.currentTime > 0) remember(); });

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
    const action = { k: toggle, j: () => skip(-SKIP_S), l: () => skip(SKIP_S) }[(e.key || "").toLowerCase()];
    if (!action) return;
    e.preventDefault();
    action();
  });

  if ("mediaSession" in navigator && "MediaMetadata" in window) {
    navigator.mediaSession.metadata = new MediaMetadata({
      title: `${id} · ${root.dataset.title}`, artist: root.dataset.course, album: "Narration",
    });
    const handlers = {
      play, pause: () => audio.pause(),
      seekbackward: () => skip(-SKIP_S), seekforward: () => skip(SKIP_S),
      seekto: (d) => { if (Number.isFinite(d.seekTime)) seekTo(d.seekTime); },
    };
    for (const [name, fn] of Object.entries(handlers)) {
      try { navigator.mediaSession.setActionHandler(name, fn); } catch (e) { /* unsupported action */ }
    }
  }

  fetch(root.dataset.vtt).then((r) => (r.ok ? r.text() : Promise.reject(r.status))).then((text) => {
    cues = parseVtt(text);
    addPlayButtons(cues, (t) => { seekTo(t); play(); });
    renderTranscript(cues, $("player-transcript-text"));
    highlight();
  }).catch(() => status("The transcript could not be loaded; the audio still plays."));
}

// A real <button> at the end of every paragraph the narration reads, seeking to its first cue.
function addPlayButtons(cues, playFrom) {
  const done = new Set();
  for (const cue of cues) {
    const anchor = anchorOf(cue.id);
    if (done.has(anchor) || !/^b\d+$/.test(anchor)) continue;
    done.add(anchor);
    const el = elementFor(anchor);
    if (!el || !["P", "LI"].includes(el.tagName)) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "play-here";
    button.title = "Play from here";
    button.dataset.start = String(cue.start);
    button.innerHTML = '<span aria-hidden="true">▶</span><span class="visually-hidden">Play from here</span>';
    button.addEventListener("click", () => playFrom(cue.start));
    el.append(" ", button);
  }
}

// The transcript: one paragraph per page anchor, one span per cue.
function renderTranscript(cues, box) {
  box.replaceChildren();
  let para = null, anchor = null;
  for (const cue of cues) {
    if (anchorOf(cue.id) !== anchor) {
      anchor = anchorOf(cue.id);
      para = document.createElement("p");
      box.append(para);
    }
    const span = document.createElement("span");
    span.className = "transcript-cue";
    span.dataset.cue = cue.id;
    span.textContent = cue.text;
    para.append(span, " ");
  }
}

const root = document.getElementById("player");
if (root) setup(root);
