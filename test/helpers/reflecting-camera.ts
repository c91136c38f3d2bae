/**
 * A camera that films a face in front of the screen, for the capture page's browser test: a page
 * init script that wraps getUserMedia. The wrapper takes Chromium's fake camera (the shared
 * footage, see fakeCameraFlags), draws each of its frames onto a canvas and adds the light the
 * page's screen sends onto the face, then hands the page the canvas's stream instead.
 *
 * What "the screen sends" is read from what the page paints: while the capture page's
 * full-screen light element (#light) is shown, its background colour; otherwise nothing (the
 * page's own idle colours are constant, so they change no chroma). The reflection is the physics
 * light-check.ts relies on (light-sample.ts's regions), in linear RGB:
 *
 *   lit_c = frame_c × (1 + strength × mask × screen_c)
 *
 * albedo-weighted (proportional to the pixel's own value), screen_c the linear screen colour,
 * mask 1 on a soft ellipse where the performer's head is in the close-up and 0 in the frame's top
 * strip and upper side strips (the far background the check compares against). strength 0.3: a
 * phone at full brightness ~35 cm from the face in office light (tools/liveness-synthetic/light.ts,
 * LIT_PARAM_RANGES.strength). The reflection follows the page's colour within one drawn frame
 * (~33 ms) plus the canvas stream's delivery: a real camera's lag, inside the check's 0–300 ms search.
 *
 * Not a model of a face (the ellipse is fixed, the face moves inside it); a model of what the
 * light check measures: the skin's colour relative to the background's, frame by frame.
 */
export const REFLECTION_STRENGTH = 0.3;

/** The init script's source (a function body run in the page before its own scripts). */
export function reflectingCameraScript(strength = REFLECTION_STRENGTH): string {
  return `(() => {
  const STRENGTH = ${JSON.stringify(strength)};
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia) return;
  const original = md.getUserMedia.bind(md);
  const toLinear = new Float32Array(256);
  for (let v = 0; v < 256; v++) { const c = v / 255; toLinear[v] = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); }
  const STEPS = 4096;
  const toSrgb = new Uint8ClampedArray(STEPS + 1);
  for (let i = 0; i <= STEPS; i++) { const c = i / STEPS; toSrgb[i] = Math.round(255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055)); }
  const screenColour = () => {
    const el = document.getElementById('light');
    if (!el || el.hidden) return null;
    const m = /rgba?\\((\\d+),\\s*(\\d+),\\s*(\\d+)/.exec(getComputedStyle(el).backgroundColor);
    return m ? [toLinear[+m[1]], toLinear[+m[2]], toLinear[+m[3]]] : null;
  };
  md.getUserMedia = async (constraints) => {
    const source = await original(constraints);
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = source;
    await video.play();
    while (!video.videoWidth) await new Promise((r) => setTimeout(r, 20));
    const w = video.videoWidth;
    const h = video.videoHeight;
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    // The light's reach: a soft ellipse over the head, zero in the background strips.
    const strip = Math.round(0.12 * Math.min(w, h));
    const mask = new Float32Array(w * h);
    const cx = 0.5 * w, cy = 0.6 * h, rx = 0.3 * w, ry = 0.42 * h;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const inStrip = y < strip || (y < (2 * h) / 3 && (x < strip || x >= w - strip));
      if (inStrip) continue;
      const d = Math.hypot((x + 0.5 - cx) / rx, (y + 0.5 - cy) / ry);
      mask[y * w + x] = d <= 0.8 ? 1 : d >= 1.2 ? 0 : (1.2 - d) / 0.4;
    }
    let stopped = false;
    const draw = () => {
      if (stopped) return;
      ctx.drawImage(video, 0, 0, w, h);
      const screen = screenColour();
      if (screen) {
        const img = ctx.getImageData(0, 0, w, h);
        const d = img.data;
        for (let i = 0, p = 0; p < mask.length; i += 4, p++) {
          const m = mask[p];
          if (m === 0) continue;
          for (let c = 0; c < 3; c++) {
            const lit = toLinear[d[i + c]] * (1 + STRENGTH * m * screen[c]);
            d[i + c] = lit >= 1 ? 255 : toSrgb[Math.round(lit * STEPS)];
          }
        }
        ctx.putImageData(img, 0, 0);
      }
      setTimeout(draw, 33);
    };
    draw();
    const stream = canvas.captureStream(30);
    const track = stream.getVideoTracks()[0];
    const stop = track.stop.bind(track);
    track.stop = () => { stopped = true; stop(); for (const t of source.getTracks()) t.stop(); };
    return stream;
  };
})();`;
}
