// The liveness capture page: plain browser JavaScript, no framework, no build step.
//
// Flow: read the auth token from the URL fragment (and clear it) -> GET the session -> on Start,
// open the camera, count down, then film the RAW (unmirrored) camera image: first, when the
// challenge has a light sequence, ~10 frames/s while the whole screen flashes its colours (the
// server checks that the face reflected them, in time); then ~6 frames/s while the user holds
// still (Passive) or follows the challenge prompts one by one (PassiveActive) -> POST the frames
// and their timestamps (ms from the first frame, which is taken as the first flash shows) as
// multipart/form-data -> "Thank you — done", plus the decision when the session sends it.

const API = '/liveness/api';
const FPS = 6;
/** Frames per second while the screen flashes: 2+ frames per 300-ms flash after the check's edge guards. */
const LIGHT_FPS = 10;
/** Keep filming fast this long after the last flash: the camera shows a flash up to ~300 ms late. */
const LIGHT_TAIL_MS = 400;
const PASSIVE_DURATION_MS = 3000;
/** Passive with a light sequence: hold still this long after the flashes (live-motion evidence). */
const PASSIVE_AFTER_LIGHT_MS = 1500;
const MIN_DURATION_MS = 2000;
const COUNTDOWN_SECONDS = 3;
const DEFAULT_JPEG_QUALITY = 0.85;
const SMALLER_JPEG_QUALITY = 0.7;
const OVERLOAD_RETRIES = 3;
const SESSION_TIMEOUT_MS = 30_000;
const SUBMIT_TIMEOUT_MS = 180_000;
const DEFAULT_FRAMES = { min: 10, max: 30, maxDurationMs: 6000 };

/** Prompts in the user's own terms. The preview is a mirror, so "your left" is on the screen's left. */
const PROMPTS = {
  TURN_LEFT: { text: 'Turn your head to your left', short: 'Turn left', arrow: '←' },
  TURN_RIGHT: { text: 'Turn your head to your right', short: 'Turn right', arrow: '→' },
  LOOK_UP: { text: 'Tilt your head up', short: 'Look up', arrow: '↑' },
  LOOK_DOWN: { text: 'Tilt your head down', short: 'Look down', arrow: '↓' },
};

/** What to tell the user for each advice code of an uncertain result (src/domain/liveness/advice.ts). */
const ADVICE = {
  MORE_LIGHT: 'It was too dark: turn on a light in front of you, or face a window.',
  LESS_LIGHT: 'It was too bright: move out of direct sunlight.',
  MOVE_CLOSER: 'Your face was too far away: hold the screen closer, so your face fills the oval.',
  ONE_FACE_ONLY: 'Another face was in view: make sure only you are in the picture.',
  KEEP_FACE_IN_VIEW: 'Your face was not always in view: keep it in the oval until the end.',
  CLEARER_PICTURES: 'The pictures were too dark, too bright or blurred: find even light and hold the device steady.',
};

const DECISIONS = {
  realface: 'Live person confirmed.',
  spoofface: 'The check could not confirm a live person (possible photo, screen or mask).',
  uncertain: 'The check could not decide.',
};

/** What to tell the user for each API error code; the API's own message is shown beneath. */
const ERROR_TITLES = {
  TOKEN_MISSING: 'This link is incomplete.',
  TOKEN_INVALID: 'This link is not valid.',
  TOKEN_EXPIRED: 'This link has expired.',
  SESSION_DELETED: 'This face check was cancelled.',
  ATTEMPTS_EXHAUSTED: 'No attempts are left for this face check.',
  INVALID_NONCE: 'The check went out of date before it was sent.',
  INVALID_FRAMES: 'The captured images could not be used.',
  FRAMES_TOO_LARGE: 'The captured images were too large to send.',
  OVERLOADED: 'The service is busy right now.',
  ATTEMPT_IN_PROGRESS: 'A check is already being sent from another window.',
  FRAME_UNREADABLE: 'The captured images could not be read.',
  ATTEMPT_FAILED: 'The check could not be completed.',
};
/** Errors after which nothing the user does on this page can help. */
const FATAL_CODES = new Set(['TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'SESSION_DELETED', 'ATTEMPTS_EXHAUSTED']);

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const els = {
  instructions: $('instructions'),
  stage: $('stage'),
  video: /** @type {HTMLVideoElement} */ ($('preview')),
  placeholder: $('placeholder'),
  light: $('light'),
  lightText: $('light-text'),
  countdown: $('countdown'),
  prompt: $('prompt'),
  promptArrow: $('prompt-arrow'),
  promptText: $('prompt-text'),
  progressArea: $('progress-area'),
  steps: $('steps'),
  progress: /** @type {HTMLProgressElement} */ ($('progress')),
  statusText: $('status-text'),
  statusDetail: $('status-detail'),
  result: $('result'),
  resultTitle: $('result-title'),
  decision: $('decision'),
  start: /** @type {HTMLButtonElement} */ ($('start')),
  attempts: $('attempts'),
};

class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {number | null} [retryAfterSeconds] */
  constructor(status, code, message, retryAfterSeconds = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
class NetworkError extends Error {}
class CameraError extends Error {
  /** @param {string} title @param {string} detail */
  constructor(title, detail) {
    super(title);
    this.detail = detail;
  }
}
class CaptureAborted extends Error {}

// ---------------------------------------------------------------------------------------------
// State

const token = takeToken();
/** The last session document from GET /session. */
let session = null;
/** @type {MediaStream | null} */
let stream = null;
/** @type {AbortController | null} */
let captureAbort = null;
let jpegQuality = DEFAULT_JPEG_QUALITY;
/** What the main button does next. */
let nextAction = /** @type {null | (() => Promise<void>)} */ (null);
let busy = false;

/**
 * Reads `#token=...` from the fragment, then removes the fragment from the address bar and the
 * history entry so the token does not linger in the URL. Done by hand, not with URLSearchParams,
 * so a '+' in the token is not turned into a space.
 */
function takeToken() {
  const hash = location.hash.replace(/^#/, '');
  let value = null;
  for (const part of hash.split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key !== 'token') continue;
    try {
      value = decodeURIComponent(part.slice(eq + 1)).trim();
    } catch {
      value = null;
    }
  }
  if (location.hash) history.replaceState(history.state, '', location.pathname + location.search);
  return value || null;
}

function setState(state) {
  document.body.dataset.state = state;
}

function setStatus(text, detail = '', kind = 'info') {
  els.statusText.textContent = text;
  els.statusDetail.textContent = detail;
  els.statusText.classList.toggle('error', kind === 'error');
}

/** Shows the main button with a label and what it does, or hides it (action null). */
function setAction(label, action) {
  nextAction = action;
  els.start.textContent = label;
  els.start.hidden = !action;
  els.start.disabled = !action;
}

function showAttempts() {
  const left = session && Number.isInteger(session.attemptsLeft) ? session.attemptsLeft : null;
  els.attempts.textContent = left === null ? '' : left === 1 ? '1 attempt left.' : `${left} attempts left.`;
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CaptureAborted());
    const timer = setTimeout(resolve, Math.max(0, ms));
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new CaptureAborted());
      },
      { once: true },
    );
  });

// ---------------------------------------------------------------------------------------------
// API

/** Calls the client API with the bearer token; non-2xx answers become ApiError with the API's message. */
async function api(path, { method = 'GET', body, timeoutMs }) {
  let res;
  try {
    res = await fetch(API + path, {
      method,
      body,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    if (err && err.name === 'TimeoutError') throw new NetworkError('The server took too long to answer.');
    throw new NetworkError('The server could not be reached.');
  }
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (!res.ok) {
    const code = typeof json?.error?.code === 'string' ? json.error.code : `HTTP_${res.status}`;
    const message =
      typeof json?.error?.message === 'string'
        ? json.error.message
        : `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`;
    throw new ApiError(res.status, code, message, parseRetryAfter(res.headers.get('Retry-After')));
  }
  if (!json || typeof json !== 'object') throw new ApiError(res.status, 'BAD_RESPONSE', 'The server sent an answer this page cannot read.');
  return json;
}

function parseRetryAfter(value) {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

async function loadSession() {
  const s = await api('/session', { timeoutMs: SESSION_TIMEOUT_MS });
  if (!s.challenge || typeof s.challenge.nonce !== 'string') {
    throw new ApiError(200, 'BAD_RESPONSE', 'The session has no challenge.');
  }
  s.challenge.steps = Array.isArray(s.challenge.steps) ? s.challenge.steps.filter((step) => step in PROMPTS) : [];
  s.challenge.light = validLight(s.challenge.light);
  s.frames = { ...DEFAULT_FRAMES, ...(s.frames || {}) };
  session = s;
  showAttempts();
  return s;
}

/** The light sequence's flashes that can be painted: an rgb triple and a positive duration. Anything else: no light. */
function validLight(light) {
  if (!Array.isArray(light)) return [];
  const ok = light.every(
    (f) =>
      f &&
      Array.isArray(f.rgb) &&
      f.rgb.length === 3 &&
      f.rgb.every((v) => Number.isInteger(v) && v >= 0 && v <= 255) &&
      Number.isFinite(f.durationMs) &&
      f.durationMs > 0,
  );
  return ok ? light.map((f) => ({ rgb: f.rgb, durationMs: f.durationMs })) : [];
}

// ---------------------------------------------------------------------------------------------
// Camera

async function openCamera() {
  if (stream && stream.getVideoTracks().some((t) => t.readyState === 'live')) return;
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    throw new CameraError(
      'This browser cannot use the camera here.',
      'The page must be opened over a secure (https) connection in an up-to-date browser.',
    );
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user', width: 640, height: 480 }, audio: false });
  } catch (err) {
    throw cameraError(err);
  }
  for (const track of stream.getVideoTracks()) {
    track.addEventListener('ended', () => {
      if (captureAbort)
        captureAbort.abort(new CameraError('The camera stopped.', 'It may have been unplugged or taken by another app. Press Try again.'));
    });
  }
  const video = els.video;
  video.srcObject = stream;
  els.stage.classList.add('live');
  await video.play().catch(() => undefined); // muted + playsinline: allowed without a gesture
  if (!video.videoWidth || video.readyState < 2) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new CameraError('The camera did not start.', 'Close other apps that use the camera, then press Try again.')),
        15_000,
      );
      const ready = () => {
        if (video.videoWidth && video.readyState >= 2) {
          clearTimeout(timer);
          resolve(undefined);
        }
      };
      video.addEventListener('loadeddata', ready);
      video.addEventListener('playing', ready);
      video.addEventListener('resize', ready);
      ready();
    });
  }
}

function cameraError(err) {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return new CameraError(
      'Camera access was blocked.',
      'Allow this page to use the camera (look for the camera icon near the address bar, or in your browser settings), then press Try again.',
    );
  }
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
    return new CameraError(
      'No camera was found.',
      'Connect a camera or open this link on a phone with a front camera, then press Try again.',
    );
  }
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
    return new CameraError('The camera could not be started.', 'Another app may be using it. Close that app, then press Try again.');
  }
  return new CameraError('The camera could not be opened.', err && err.message ? String(err.message) : 'Press Try again.');
}

function stopCamera() {
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  els.video.srcObject = null;
  els.stage.classList.remove('live');
  els.placeholder.textContent = 'The camera is off.';
  els.placeholder.hidden = false;
}

// ---------------------------------------------------------------------------------------------
// Capture

/**
 * What to film: the light sequence first (if any), then the steps from stepsStartMs (PassiveActive)
 * or a still hold (Passive); when each frame is taken (ms from the first); how long each step is shown.
 */
function planCapture(s) {
  const frames = s.frames;
  const limit = Math.max(MIN_DURATION_MS, frames.maxDurationMs || DEFAULT_FRAMES.maxDurationMs);
  // Stay clearly under the server's limit: timers on a busy phone run late.
  const budget = Math.floor(limit * 0.9);
  const light = s.challenge.light;
  const lightMs = light.reduce((sum, f) => sum + f.durationMs, 0);
  const steps = s.challenge.steps;
  const stepsStartMs = light.length ? Math.max(lightMs, Number(s.challenge.stepsStartMs) || 0) : 0;
  let stepMs = 0;
  let duration;
  if (steps.length > 0) {
    const wanted = Number(s.challenge.stepTimeoutMs) > 0 ? Number(s.challenge.stepTimeoutMs) : 1500;
    stepMs = Math.min(wanted, Math.floor((budget - stepsStartMs) / steps.length));
    duration = stepsStartMs + stepMs * steps.length;
  } else {
    duration = light.length ? lightMs + PASSIVE_AFTER_LIGHT_MS : PASSIVE_DURATION_MS;
  }
  duration = Math.min(Math.max(duration, Math.min(MIN_DURATION_MS, budget)), budget);
  const min = Math.max(2, frames.min || DEFAULT_FRAMES.min);
  const max = Math.max(min, frames.max || DEFAULT_FRAMES.max);
  // Frame times: LIGHT_FPS through the flashes (and the camera's lag after them), then FPS, fewer
  // if the server's frame limit needs it.
  const times = [];
  const fastUntil = light.length ? Math.min(duration, lightMs + LIGHT_TAIL_MS) : 0;
  for (let t = 0; t < fastUntil; t += 1000 / LIGHT_FPS) times.push(Math.round(t));
  const start = times.length ? fastUntil : 0;
  const wanted = Math.floor(((duration - start) * FPS) / 1000) + 1;
  const n = Math.min(Math.max(0, max - times.length), Math.max(wanted, min - times.length));
  for (let k = 0; k < n; k++) times.push(Math.round(start + (n === 1 ? 0 : (k * (duration - start)) / (n - 1))));
  return { steps, stepMs, stepsStartMs, light, lightMs, duration, times, limitMs: Math.floor(limit * 0.98), minFrames: min };
}

function renderSteps(steps) {
  els.steps.replaceChildren();
  steps.forEach((step, i) => {
    const li = document.createElement('li');
    li.className = 'step';
    li.dataset.step = step;
    li.textContent = PROMPTS[step].short;
    li.setAttribute('aria-label', `Step ${i + 1}: ${PROMPTS[step].text}`);
    els.steps.append(li);
  });
  els.steps.hidden = steps.length === 0;
}

function markStep(index) {
  [...els.steps.children].forEach((li, i) => {
    li.classList.toggle('done', i < index);
    li.classList.toggle('current', i === index);
    if (i === index) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  });
}

function showPrompt(arrow, text) {
  els.promptArrow.textContent = arrow;
  els.promptText.textContent = text;
  els.prompt.hidden = false;
}

/** Mean luma (0–255) of the camera image's centre, from a tiny copy; null if it cannot be read. */
function centreLuma() {
  const video = els.video;
  if (!video.videoWidth) return null;
  const canvas = document.createElement('canvas');
  canvas.width = 16;
  canvas.height = 12;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return null;
  const w = video.videoWidth;
  const h = video.videoHeight;
  ctx.drawImage(video, w / 4, h / 4, w / 2, h / 2, 0, 0, 16, 12);
  const { data } = ctx.getImageData(0, 0, 16, 12);
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
  return sum / (data.length / 4);
}

/** Below this centre luma the face is too dark for the checks (the light check needs ~30 on the skin). */
const TOO_DARK_LUMA = 45;
/** Above this the picture is washed out (sun on the face, a window behind the screen). */
const TOO_BRIGHT_LUMA = 225;

async function countdown(plan, signal) {
  els.countdown.hidden = false;
  showPrompt('', 'Center your face in the oval');
  setStatus(
    'Get ready: center your face in the oval and look at the camera.',
    [
      plan.light.length ? 'The screen will flash colours: hold still and keep your face in front of it.' : '',
      plan.steps.length ? 'Then follow the arrows on the screen.' : 'Hold still until the end.',
    ]
      .filter(Boolean)
      .join(' '),
  );
  try {
    for (let n = COUNTDOWN_SECONDS; n > 0; n--) {
      els.countdown.textContent = String(n);
      // Guidance the page can give without a face model: the light in the picture.
      const luma = centreLuma();
      if (luma !== null && luma < TOO_DARK_LUMA) setStatus('It is too dark here.', 'Turn on a light in front of you, or face a window.');
      else if (luma !== null && luma > TOO_BRIGHT_LUMA)
        setStatus('The picture is too bright.', 'Move out of direct sunlight, and do not sit with a window behind the screen.');
      await sleep(1000, signal);
    }
  } finally {
    els.countdown.hidden = true;
  }
}

/** Captures the raw camera image at plan.times (flashing the light sequence first); returns JPEG blobs and ms offsets from the first frame. */
async function captureFrames(plan, signal) {
  const video = els.video;
  const canvas = document.createElement('canvas'); // never attached: nothing mirrored here
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext('2d', { alpha: false });
  if (!ctx) throw new CameraError('This browser cannot take pictures from the camera.', 'Try an up-to-date browser.');
  const quality = jpegQuality;

  /** @type {Promise<Blob>[]} */
  const blobs = [];
  /** @type {number[]} */
  const timestamps = [];
  let currentStep = -1;
  const announceStep = (elapsed) => {
    if (!plan.steps.length || elapsed < plan.stepsStartMs) return;
    const index = Math.min(plan.steps.length - 1, Math.floor((elapsed - plan.stepsStartMs) / plan.stepMs));
    if (index === currentStep) return;
    currentStep = index;
    const step = plan.steps[index];
    showPrompt(PROMPTS[step].arrow, PROMPTS[step].text);
    markStep(index);
    setStatus(`Step ${index + 1} of ${plan.steps.length}: ${PROMPTS[step].text}.`);
  };
  // The light sequence: the flash on screen at `elapsed` ms, or null once it is over.
  const flashAt = (elapsed) => {
    let end = 0;
    for (const f of plan.light) {
      end += f.durationMs;
      if (elapsed < end) return f;
    }
    return null;
  };
  let lightOn = false;
  const showLight = (elapsed) => {
    const flash = lightOn ? flashAt(elapsed) : null;
    if (flash) {
      // CSSOM, not a style attribute: allowed by the page's style-src 'self'.
      els.light.style.backgroundColor = `rgb(${flash.rgb[0]}, ${flash.rgb[1]}, ${flash.rgb[2]})`;
      return;
    }
    if (lightOn) {
      lightOn = false;
      els.light.hidden = true;
      if (plan.steps.length) {
        showPrompt('', 'Get ready to move your head');
        setStatus('Done with the colours. Now follow the arrows.');
      } else {
        showPrompt('', 'Hold still and look at the camera');
        setStatus('Done with the colours. Hold still a moment longer…');
      }
    }
  };

  if (plan.light.length) {
    lightOn = true;
    showLight(0);
    els.light.hidden = false;
    els.lightText.textContent = 'Hold still and look at the screen';
    setStatus('Hold still: the screen flashes colours for a few seconds.');
    // Let the first colour reach the screen before the first frame (t = 0) is taken.
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  } else if (plan.steps.length) announceStep(0);
  else {
    showPrompt('', 'Hold still and look at the camera');
    setStatus('Hold still and look at the camera…');
  }

  // The colours, the progress bar and the step prompts follow the clock between frames too.
  let t0 = 0;
  let raf = 0;
  const tick = () => {
    const elapsed = performance.now() - t0;
    showLight(elapsed);
    els.progress.value = Math.min(100, (elapsed / plan.duration) * 100);
    announceStep(elapsed);
    raf = requestAnimationFrame(tick);
  };

  try {
    for (let i = 0; i < plan.times.length; i++) {
      if (i > 0) await sleep(t0 + plan.times[i] - performance.now(), signal);
      if (signal.aborted) throw new CaptureAborted();
      const now = performance.now();
      if (i === 0) {
        t0 = now;
        raf = requestAnimationFrame(tick);
      }
      const t = Math.round(now - t0);
      if (t > plan.limitMs) break; // far behind schedule: send what we have rather than overrun
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      // toBlob copies the bitmap now and encodes in the background, so the canvas can be reused.
      blobs.push(
        new Promise((resolve, reject) =>
          canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('JPEG encoding failed'))), 'image/jpeg', quality),
        ),
      );
      timestamps.push(t);
    }
  } finally {
    cancelAnimationFrame(raf);
    lightOn = false;
    els.light.hidden = true;
  }
  els.progress.value = 100;
  if (plan.steps.length) markStep(plan.steps.length);
  if (timestamps.length < plan.minFrames) {
    throw new CameraError('Not enough pictures were taken.', 'The device was too busy. Close other apps and press Try again.');
  }
  return { frames: await Promise.all(blobs), timestamps };
}

// ---------------------------------------------------------------------------------------------
// Submit

async function submit(nonce, capture) {
  const form = new FormData();
  // Text fields first, so the server can check them before reading the images.
  form.append('nonce', nonce);
  form.append('timestamps', JSON.stringify(capture.timestamps));
  capture.frames.forEach((blob, i) => form.append('frame', blob, `frame-${String(i).padStart(2, '0')}.jpg`));

  for (let attempt = 0; ; attempt++) {
    try {
      return await api('/attempts', { method: 'POST', body: form, timeoutMs: SUBMIT_TIMEOUT_MS });
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'OVERLOADED' || attempt >= OVERLOAD_RETRIES) throw err;
      const wait = Math.min(30, Math.max(1, Math.ceil(err.retryAfterSeconds ?? 2 * (attempt + 1))));
      setStatus(`The service is busy. Sending again in ${wait} second${wait === 1 ? '' : 's'}…`);
      await sleep(wait * 1000);
      setStatus('Sending your pictures…', 'This can take a few seconds.');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Flow

/** Full screen while filming (needs the Start press's user gesture, so it is asked for first): more of the screen's light reaches the face. */
function enterFullscreen() {
  const root = document.documentElement;
  if (document.fullscreenEnabled && !document.fullscreenElement && root.requestFullscreen) root.requestFullscreen().catch(() => undefined);
}

function leaveFullscreen() {
  if (document.fullscreenElement && document.exitFullscreen) document.exitFullscreen().catch(() => undefined);
}

async function runCheck() {
  enterFullscreen();
  els.result.hidden = true;
  els.decision.hidden = true;
  els.progress.value = 0;
  // A nonce is single use: every try after the first gets a fresh challenge.
  if (!session || session.used) {
    setState('loading');
    setStatus('Getting a new check ready…');
    await loadSession();
    describeSession();
  }
  const s = session;
  const plan = planCapture(s);

  setState('starting');
  setStatus('Starting the camera…', 'If your browser asks, allow the camera.');
  await openCamera();
  els.placeholder.hidden = true;

  captureAbort = new AbortController();
  const { signal } = captureAbort;
  let capture;
  try {
    setState('countdown');
    els.progressArea.hidden = false;
    renderSteps(plan.steps);
    markStep(-1);
    await countdown(plan, signal);
    setState('capturing');
    capture = await captureFrames(plan, signal);
  } catch (err) {
    // A camera that stops mid-capture aborts with its own explanation.
    throw signal.reason instanceof CameraError ? signal.reason : err;
  } finally {
    captureAbort = null;
    els.prompt.hidden = true;
    stopCamera(); // the camera light goes off as soon as the pictures are taken
    leaveFullscreen();
  }

  setState('sending');
  setStatus('Sending your pictures…', 'This can take a few seconds.');
  s.used = true; // the nonce is spent (or about to be) whatever the answer
  const answer = await submit(s.challenge.nonce, capture);
  jpegQuality = DEFAULT_JPEG_QUALITY;
  if (Number.isInteger(answer.attemptsLeft)) s.attemptsLeft = answer.attemptsLeft;
  if (answer.status === 'Failed') {
    // Received, but the attempt could not be judged (e.g. unreadable images): it still counts.
    const code = typeof answer.error?.code === 'string' ? answer.error.code : 'ATTEMPT_FAILED';
    const message = typeof answer.error?.message === 'string' ? answer.error.message : 'The attempt could not be analysed.';
    throw new ApiError(200, code, message);
  }
  showDone(answer);
}

function describeSession() {
  const steps = session.challenge.steps;
  const plan = planCapture(session);
  const light = plan.light.length
    ? ` The screen will then flash colours for about ${Math.round(plan.lightMs / 1000)} seconds: turn your screen brightness up, hold still and keep your face about an arm's length or closer to the screen.`
    : '';
  if (steps.length) {
    const seconds = Math.round(plan.stepMs / 100) / 10;
    els.instructions.textContent =
      `When you press Start, center your face in the oval.${light} You will then be asked to move your head ${steps.length} time${steps.length === 1 ? '' : 's'}, ` +
      `about ${seconds} seconds each. Follow the arrows.`;
  } else {
    els.instructions.textContent = `When you press Start, center your face in the oval.${light} Hold still and look at the camera until the end (about ${Math.round(plan.duration / 1000)} seconds).`;
  }
  renderSteps(steps);
}

function showDone(answer) {
  setState('done');
  showAttempts();
  els.progressArea.hidden = true;
  els.result.hidden = false;
  const decision = answer.result && typeof answer.result.livenessDecision === 'string' ? answer.result.livenessDecision : null;
  els.result.dataset.decision = decision ?? '';
  if (decision) {
    const advice = Array.isArray(answer.result.advice) ? answer.result.advice.filter((a) => a in ADVICE).map((a) => ADVICE[a]) : [];
    els.decision.textContent = [`Result: ${DECISIONS[decision] ?? decision}`, ...advice].join(' ');
    els.decision.dataset.decision = decision;
    els.decision.hidden = false;
    setStatus('Thank you — done.', `Result: ${DECISIONS[decision] ?? decision}`);
  } else {
    setStatus('Thank you — done.', 'You can close this page now.');
  }
  els.resultTitle.focus();
  const left = session?.attemptsLeft;
  if (decision && decision !== 'realface' && Number.isInteger(left) && left > 0) {
    setAction('Try again', runCheck);
  } else {
    setAction('', null);
    els.instructions.textContent = '';
  }
}

/** Explains an error; offers "Try again" when it can help and attempts are left. */
function showError(err) {
  setState('error');
  els.prompt.hidden = true;
  els.countdown.hidden = true;
  let title;
  let detail;
  let retry = true;
  if (err instanceof ApiError) {
    title = ERROR_TITLES[err.code] ?? 'Something went wrong.';
    detail = err.message;
    if (FATAL_CODES.has(err.code) || err.status === 401 || err.status === 403 || err.status === 404 || err.status === 410) retry = false;
    if (err.code === 'TOKEN_INVALID' || err.code === 'TOKEN_EXPIRED') detail += ' Ask for a new link.';
    if (err.code === 'FRAMES_TOO_LARGE') jpegQuality = SMALLER_JPEG_QUALITY;
    if (err.code === 'ATTEMPTS_EXHAUSTED' && session) session.attemptsLeft = 0;
  } else if (err instanceof NetworkError) {
    title = 'Network problem.';
    detail = `${err.message} Check your internet connection, then press Try again.`;
  } else if (err instanceof CameraError) {
    title = err.message;
    detail = err.detail;
  } else if (err instanceof CaptureAborted) {
    title = 'The capture was interrupted.';
    detail = 'Keep this page open and in front while the check runs. Press Try again.';
  } else {
    title = 'Something went wrong.';
    detail = err && err.message ? String(err.message) : String(err);
  }
  if (retry && session && Number.isInteger(session.attemptsLeft) && session.attemptsLeft <= 0) retry = false;
  setStatus(title, detail, 'error');
  showAttempts();
  document.body.dataset.fatal = String(!retry);
  if (!retry) els.instructions.textContent = '';
  setAction(retry ? 'Try again' : '', retry ? (session ? runCheck : init) : null);
}

async function onMainButton() {
  if (busy || !nextAction) return;
  busy = true;
  const action = nextAction;
  setAction('', null);
  try {
    await action();
  } catch (err) {
    showError(err);
  } finally {
    busy = false;
  }
}

async function init() {
  setState('loading');
  if (!token) {
    showError(new ApiError(0, 'TOKEN_MISSING', 'Open the link you were given again; it must be opened in full.'));
    els.instructions.textContent = '';
    return;
  }
  setStatus('Loading your face check…');
  await loadSession();
  describeSession();
  setState('ready');
  setStatus('Ready. Press Start when you are in a well-lit place.', 'Remove sunglasses or anything that covers your face.');
  setAction('Start', runCheck);
}

els.start.addEventListener('click', onMainButton);

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden' && captureAbort) captureAbort.abort();
});
window.addEventListener('pagehide', stopCamera);

init().catch(showError);
