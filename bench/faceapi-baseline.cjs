/**
 * Peer baseline for bench/detect.ts: @vladmandic/face-api's own full pipeline (SSD MobileNet v1
 * detection + 68-point landmarks + 128-d descriptors) on its node-wasm build, WASM backend, in
 * this process's main thread. Plain CommonJS so it runs with bare `node`, apart from our engine.
 *
 *   node bench/faceapi-baseline.cjs [--warmup W] [--iterations N] [--wait] image...
 *
 * Loads the models, runs every image W times untimed, then N times timed (sequentially).
 * With --wait it prints {"ready":true} after the warm-up and starts timing only when a line
 * arrives on stdin, so a parent can start several processes at the same moment.
 * Prints one JSON line: { backend, loadMs, tensorsLeft, images: [{ file, faces, timesMs, elapsedMs, cpuMs, otherCores }] }.
 */
'use strict';
const os = require('node:os');
const path = require('node:path');
const fs = require('node:fs');
const readline = require('node:readline');
const sharp = require('sharp');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const tf = faceapi.tf;
const MODEL_DIR = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

function parseArgs(argv) {
  const args = { warmup: 3, iterations: 20, wait: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--warmup') args.warmup = Number(argv[++i]);
    else if (argv[i] === '--iterations') args.iterations = Number(argv[++i]);
    else if (argv[i] === '--wait') args.wait = true;
    else args.files.push(argv[i]);
  }
  return args;
}

async function loadModels() {
  await tf.setBackend('wasm');
  await tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(MODEL_DIR);
}

/** One full pipeline run, from encoded bytes (decode included, as in our engine). */
async function detectAll(bytes) {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const tensor = tf.tensor3d(data, [info.height, info.width, 3], 'int32');
  try {
    const options = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });
    const results = await faceapi.detectAllFaces(tensor, options).withFaceLandmarks().withFaceDescriptors();
    return results.length;
  } finally {
    tensor.dispose();
  }
}

/** Busy CPU ms of the whole machine so far (all cores, all processes). */
function machineBusyMs() {
  return os.cpus().reduce((sum, { times: t }) => sum + t.user + t.nice + t.sys + t.irq, 0);
}

/**
 * Times `iterations` sequential runs. cpuMs is this process's CPU time over the loop;
 * otherCores is how many cores everything else on the machine kept busy meanwhile (noise).
 */
async function timeImage(file, bytes, iterations) {
  const timesMs = [];
  let faces = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const machine = machineBusyMs();
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    faces = await detectAll(bytes);
    timesMs.push(performance.now() - t);
  }
  const elapsedMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const cpuMs = (user + system) / 1000;
  const otherCores = Math.max(0, (machineBusyMs() - machine - cpuMs) / elapsedMs);
  return { file, faces, timesMs, elapsedMs, cpuMs, otherCores };
}

function waitForLine() {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin });
    rl.once('line', () => {
      rl.close();
      resolve();
    });
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const images = args.files.map((file) => ({ file, bytes: fs.readFileSync(file) }));
  const loadStart = performance.now();
  await loadModels();
  const loadMs = performance.now() - loadStart;
  for (const { bytes } of images) for (let i = 0; i < args.warmup; i++) await detectAll(bytes);
  if (args.wait) {
    process.stdout.write(JSON.stringify({ ready: true }) + '\n');
    await waitForLine();
  }
  const results = [];
  for (const { file, bytes } of images) results.push(await timeImage(file, bytes, args.iterations));
  // Model weights stay as tensors; the count must not grow with iterations.
  const tensorsLeft = tf.memory().numTensors;
  process.stdout.write(JSON.stringify({ backend: tf.getBackend(), loadMs, tensorsLeft, images: results }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
