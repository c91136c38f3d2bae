// The facegraph demo page: plain ES module, no build step. Every call goes to the public GraphQL
// API at /graphql; photos travel as GraphQL multipart uploads (ImageInput.file).

const KEY_STORAGE = 'facegraph-demo-api-key';
const SVG = 'http://www.w3.org/2000/svg';
/** The multipart limit of /graphql: at most 10 files per request (docs/api.md). */
const FILES_PER_REQUEST = 10;

const $ = (id) => document.getElementById(id);

// ---- GraphQL over fetch -------------------------------------------------------------------------

/**
 * Runs one GraphQL operation. `files` maps a variable name to a File: the variable is sent as null
 * and the file as a multipart part mapped onto it (the GraphQL multipart request spec).
 */
async function gql(query, variables = {}, files = {}) {
  const headers = { 'apollo-require-preflight': 'true' };
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers.authorization = `Bearer ${key}`;
  const names = Object.keys(files);
  let body;
  if (names.length > 0) {
    const operations = { query, variables: { ...variables } };
    const map = {};
    names.forEach((name, i) => {
      operations.variables[name] = null;
      map[i] = [`variables.${name}`];
    });
    body = new FormData();
    body.append('operations', JSON.stringify(operations));
    body.append('map', JSON.stringify(map));
    names.forEach((name, i) => body.append(String(i), files[name], files[name].name || 'image'));
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify({ query, variables });
  }
  const res = await fetch('/graphql', { method: 'POST', headers, body });
  const json = await res.json().catch(() => null);
  if (res.status === 401) {
    $('key-box').open = true;
    $('key-status').textContent = 'This server needs an API key: enter it above and try again.';
    throw new Error('An API key is required (see "API key" at the top).');
  }
  if (!json) throw new Error(`The server answered HTTP ${res.status}.`);
  if (json.errors?.length) throw new Error(json.errors.map((e) => `${e.message} (${e.extensions?.code ?? 'ERROR'})`).join('; '));
  return json.data;
}

/** A mutation payload's userErrors, as an exception. */
function checkUserErrors(payload) {
  if (payload.userErrors.length > 0) throw new Error(payload.userErrors.map((e) => `${e.message} (${e.code})`).join('; '));
  return payload;
}

// ---- Drawing helpers ----------------------------------------------------------------------------

function svg(name, attributes = {}, parent = null) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
  if (parent) parent.appendChild(el);
  return el;
}

/** Shows `file` in `img` and resolves with its natural size once decoded. */
async function showImage(img, file) {
  if (img.src) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(file);
  await img.decode();
  return { width: img.naturalWidth, height: img.naturalHeight };
}

/** A canvas holding the face rectangle of `img` (with a little margin), for thumbnails. */
function faceThumbnail(img, rect, size = 96) {
  const margin = 0.15 * Math.max(rect.width, rect.height);
  const side = Math.max(rect.width, rect.height) + 2 * margin;
  const sx = rect.left + rect.width / 2 - side / 2;
  const sy = rect.top + rect.height / 2 - side / 2;
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  canvas.getContext('2d').drawImage(img, sx, sy, side, side, 0, 0, size, size);
  return canvas;
}

const QUALITY_CLASS = { HIGH: 'q-high', MEDIUM: 'q-medium', LOW: 'q-low' };

/**
 * The head-pose axes, projected onto the image. Face frame: x to the image's right, y down, z
 * toward the viewer. facegraph's angles: yaw > 0 turns the face toward the image's right,
 * pitch > 0 looks up, roll > 0 tilts clockwise; rotated in that order (yaw, pitch, then roll).
 */
function poseAxes({ yaw, pitch, roll }) {
  const r = Math.PI / 180;
  const [a, p, q] = [yaw * r, pitch * r, roll * r];
  const rotate = ([x, y, z]) => {
    [x, z] = [x * Math.cos(a) + z * Math.sin(a), -x * Math.sin(a) + z * Math.cos(a)];
    [y, z] = [y * Math.cos(p) - z * Math.sin(p), y * Math.sin(p) + z * Math.cos(p)];
    [x, y] = [x * Math.cos(q) - y * Math.sin(q), x * Math.sin(q) + y * Math.cos(q)];
    return [x, y];
  };
  return { x: rotate([1, 0, 0]), y: rotate([0, -1, 0]), z: rotate([0, 0, 1]) };
}

/** One face drawn into `overlay`: a <g data-face-id> with its box, landmarks, pose axes and label. */
function drawFace(overlay, face, index, label) {
  const { left, top, width, height } = face.faceRectangle;
  const quality = face.attributes?.qualityForRecognition;
  const g = svg(
    'g',
    { class: `face ${QUALITY_CLASS[quality] ?? ''}`, 'data-face-id': face.faceId ?? `face-${index}`, tabindex: 0 },
    overlay,
  );
  g.dataset.index = String(index);
  // Lines and text stay readable however much the photo is scaled down to fit the screen.
  const unit = Number(overlay.dataset.unit);
  const stroke = Math.max(1.5 * unit, width / 80);
  svg('rect', { class: 'box', x: left, y: top, width, height, 'stroke-width': stroke }, g);
  if (face.landmarks) {
    for (const point of Object.values(face.landmarks)) {
      if (point && typeof point.x === 'number') svg('circle', { class: 'landmark', cx: point.x, cy: point.y, r: stroke }, g);
    }
  }
  const pose = face.attributes?.headPose;
  if (pose && face.landmarks) {
    const { x: ox, y: oy } = face.landmarks.noseTip;
    const length = width * 0.5;
    for (const [axis, [dx, dy]] of Object.entries(poseAxes(pose))) {
      svg('line', { class: `axis ax-${axis}`, x1: ox, y1: oy, x2: ox + dx * length, y2: oy + dy * length, 'stroke-width': stroke }, g);
    }
  }
  const fontSize = Math.max(14 * unit, width / 6);
  const text = svg('text', { class: 'label', x: left, y: Math.max(fontSize, top - stroke * 2), 'font-size': fontSize }, g);
  text.textContent = label;
  return g;
}

/** Sizes an overlay <svg> to the image's pixel coordinates (it scales with the <img>). */
function resetOverlay(overlay, size) {
  overlay.replaceChildren();
  overlay.setAttribute('viewBox', `0 0 ${size.width} ${size.height}`);
  // About one screen pixel when the photo is shown 400 pixels wide (a phone).
  overlay.dataset.unit = String(Math.max(1, size.width / 400));
}

function setStatus(id, text, state) {
  const el = $(id);
  el.textContent = text;
  el.dataset.state = state;
}

const round = (n, digits = 2) => (typeof n === 'number' ? n.toFixed(digits) : '–');

// ---- Detect ---------------------------------------------------------------------------------------

const LANDMARKS = `pupilLeft { x y } pupilRight { x y } noseTip { x y } mouthLeft { x y } mouthRight { x y }
  eyebrowLeftOuter { x y } eyebrowLeftInner { x y } eyeLeftOuter { x y } eyeLeftTop { x y } eyeLeftBottom { x y }
  eyeLeftInner { x y } eyebrowRightInner { x y } eyebrowRightOuter { x y } eyeRightInner { x y } eyeRightTop { x y }
  eyeRightBottom { x y } eyeRightOuter { x y } noseRootLeft { x y } noseRootRight { x y } noseLeftAlarTop { x y }
  noseRightAlarTop { x y } noseLeftAlarOutTip { x y } noseRightAlarOutTip { x y } upperLipTop { x y }
  upperLipBottom { x y } underLipTop { x y } underLipBottom { x y }`;

const DETECT = `query DemoDetect($photo: Upload) {
  detectFaces(image: { file: $photo }) {
    faceId
    faceRectangle { left top width height }
    detectionConfidence
    landmarks { ${LANDMARKS} }
    attributes {
      headPose { yaw pitch roll }
      blur { blurLevel value }
      exposure { exposureLevel value }
      noise { noiseLevel value }
      qualityForRecognition
    }
  }
}`;

function selectFace(faceId) {
  for (const el of document.querySelectorAll('#detect [data-face-id]')) {
    el.classList.toggle('selected', el.getAttribute('data-face-id') === faceId);
  }
}

async function detect(file) {
  const panel = $('detect');
  panel.dataset.state = 'working';
  setStatus('detect-status', `Detecting faces in ${file.name}…`, 'working');
  const tbody = $('detect-table').querySelector('tbody');
  tbody.replaceChildren();
  try {
    const img = $('detect-image');
    $('detect-stage').hidden = false;
    const [size, data] = await Promise.all([showImage(img, file), gql(DETECT, {}, { photo: file })]);
    const faces = data.detectFaces;
    const overlay = $('detect-overlay');
    resetOverlay(overlay, size);
    faces.forEach((face, i) => {
      const g = drawFace(overlay, face, i, `${i + 1}`);
      g.addEventListener('click', () => selectFace(g.getAttribute('data-face-id')));
      const attrs = face.attributes ?? {};
      const row = document.createElement('tr');
      row.setAttribute('data-face-id', g.getAttribute('data-face-id'));
      const cells = [
        i + 1,
        attrs.qualityForRecognition ?? '–',
        round(face.detectionConfidence),
        `${face.faceRectangle.width}×${face.faceRectangle.height}`,
        `${round(attrs.headPose?.yaw, 0)}°`,
        `${round(attrs.headPose?.pitch, 0)}°`,
        `${round(attrs.headPose?.roll, 0)}°`,
        `${attrs.blur?.blurLevel ?? '–'} ${round(attrs.blur?.value)}`,
        `${attrs.exposure?.exposureLevel ?? '–'} ${round(attrs.exposure?.value)}`,
        `${attrs.noise?.noiseLevel ?? '–'} ${round(attrs.noise?.value)}`,
      ];
      for (const value of cells) row.appendChild(document.createElement('td')).textContent = String(value);
      row.classList.add(QUALITY_CLASS[attrs.qualityForRecognition] ?? 'q-none');
      row.addEventListener('click', () => selectFace(row.getAttribute('data-face-id')));
      tbody.appendChild(row);
    });
    $('detect-table').hidden = faces.length === 0;
    $('detect-legend').hidden = faces.length === 0;
    $('detect-status').dataset.count = String(faces.length);
    setStatus('detect-status', `Found ${faces.length} ${faces.length === 1 ? 'face' : 'faces'} in ${file.name}.`, 'done');
    panel.dataset.state = 'done';
  } catch (err) {
    setStatus('detect-status', `Could not detect faces: ${err.message}`, 'error');
    panel.dataset.state = 'error';
  }
}

// ---- Verify ---------------------------------------------------------------------------------------

const DETECT_TWO = `query DemoVerifyDetect($a: Upload, $b: Upload) {
  a: detectFaces(image: { file: $a }) { faceId faceRectangle { left top width height } }
  b: detectFaces(image: { file: $b }) { faceId faceRectangle { left top width height } }
}`;

const VERIFY = `mutation DemoVerify($a: ID!, $b: ID!) {
  verifyFaces(input: { face1: { faceId: $a }, face2: { faceId: $b } }) {
    verification { isIdentical confidence }
    userErrors { code message field }
  }
}`;

async function verify() {
  const panel = $('verify');
  const files = [$('verify-file-1').files[0], $('verify-file-2').files[0]];
  panel.dataset.state = 'working';
  $('verify-result').hidden = true;
  $('verify-faces').replaceChildren();
  setStatus('verify-status', 'Detecting both faces…', 'working');
  try {
    const detected = await gql(DETECT_TWO, {}, { a: files[0], b: files[1] });
    const pair = [detected.a[0], detected.b[0]];
    const missing = pair.findIndex((face) => !face);
    if (missing >= 0) throw new Error(`no face found in ${files[missing].name}`);
    setStatus('verify-status', 'Comparing the two faces…', 'working');
    const { verification } = checkUserErrors((await gql(VERIFY, { a: pair[0].faceId, b: pair[1].faceId })).verifyFaces);
    for (const [i, face] of pair.entries()) {
      const img = new Image();
      await showImage(img, files[i]);
      const figure = document.createElement('figure');
      figure.setAttribute('data-face-id', face.faceId);
      figure.appendChild(faceThumbnail(img, face.faceRectangle, 160));
      figure.appendChild(document.createElement('figcaption')).textContent = files[i].name;
      $('verify-faces').appendChild(figure);
    }
    const result = $('verify-result');
    result.dataset.identical = String(verification.isIdentical);
    result.dataset.confidence = String(verification.confidence);
    result.className = `decision ${verification.isIdentical ? 'same' : 'different'}`;
    result.textContent = `${verification.isIdentical ? 'The same person' : 'Two different people'} (confidence ${round(verification.confidence)})`;
    result.hidden = false;
    setStatus('verify-status', '', 'done');
    panel.dataset.state = 'done';
  } catch (err) {
    setStatus('verify-status', `Could not verify: ${err.message}`, 'error');
    panel.dataset.state = 'error';
  }
}

// ---- Group ----------------------------------------------------------------------------------------

/** One query detecting every file of `files` (aliases f0, f1…), each face with its rectangle. */
function detectMany(files) {
  const variables = files.map((_, i) => `$f${i}: Upload`).join(', ');
  const fields = files.map((_, i) => `f${i}: detectFaces(image: { file: $f${i} }) { faceId faceRectangle { left top width height } }`);
  const upload = Object.fromEntries(files.map((file, i) => [`f${i}`, file]));
  return gql(`query DemoDetectAlbum(${variables}) {\n  ${fields.join('\n  ')}\n}`, {}, upload).then((data) =>
    files.map((_, i) => data[`f${i}`]),
  );
}

const GROUP = `mutation DemoGroup($faceIds: [ID!]!) {
  groupFaces(input: { faceIds: $faceIds }) {
    grouping { groups { faceIds } messyGroup { faceIds } }
    userErrors { code message field }
  }
}`;

async function group(fileList) {
  const panel = $('group');
  const files = [...fileList];
  const rows = $('group-rows');
  rows.replaceChildren();
  panel.dataset.state = 'working';
  try {
    /** faceId -> { file, img, rect } for the thumbnails. */
    const faces = new Map();
    for (let start = 0; start < files.length; start += FILES_PER_REQUEST) {
      const batch = files.slice(start, start + FILES_PER_REQUEST);
      setStatus('group-status', `Detecting faces in photos ${start + 1}–${start + batch.length} of ${files.length}…`, 'working');
      const detected = await detectMany(batch);
      for (const [i, list] of detected.entries()) {
        const img = new Image();
        await showImage(img, batch[i]);
        for (const face of list) faces.set(face.faceId, { file: batch[i], photo: start + i, img, rect: face.faceRectangle });
      }
    }
    if (faces.size < 2) throw new Error(`grouping needs at least 2 faces; found ${faces.size}`);
    setStatus('group-status', `Grouping ${faces.size} faces…`, 'working');
    const { grouping } = checkUserErrors((await gql(GROUP, { faceIds: [...faces.keys()] })).groupFaces);
    const addRow = (faceIds, title, messy) => {
      const row = document.createElement('div');
      row.className = messy ? 'group-row messy' : 'group-row';
      row.appendChild(document.createElement('h3')).textContent = title;
      const strip = row.appendChild(document.createElement('div'));
      strip.className = 'thumbs';
      for (const faceId of faceIds) {
        const { file, photo, img, rect } = faces.get(faceId);
        const figure = document.createElement('figure');
        figure.setAttribute('data-face-id', faceId);
        figure.dataset.file = file.name;
        figure.dataset.photo = String(photo);
        figure.dataset.left = String(rect.left);
        figure.title = file.name;
        figure.appendChild(faceThumbnail(img, rect));
        strip.appendChild(figure);
      }
      rows.appendChild(row);
    };
    grouping.groups.forEach((g, i) => addRow(g.faceIds, `Person ${i + 1} (${g.faceIds.length} faces)`, false));
    const messy = grouping.messyGroup.faceIds.length;
    addRow(
      grouping.messyGroup.faceIds,
      `Messy group (${messy} ${messy === 1 ? 'face that matches' : 'faces that match'} no one else)`,
      true,
    );
    const n = grouping.groups.length;
    setStatus('group-status', `${faces.size} faces in ${files.length} photos: ${n} ${n === 1 ? 'group' : 'groups'}.`, 'done');
    panel.dataset.state = 'done';
  } catch (err) {
    setStatus('group-status', `Could not group: ${err.message}`, 'error');
    panel.dataset.state = 'error';
  }
}

// ---- Identify -------------------------------------------------------------------------------------

const CREATE_GROUP = `mutation DemoCreateGroup($id: ID!) {
  createPersonGroup(input: { id: $id, name: "facegraph demo", recognitionModel: RECOGNITION_04 }) {
    personGroup { id }
    userErrors { code message field }
  }
}`;

const CREATE_PERSON = `mutation DemoCreatePerson($groupId: ID!, $name: String!) {
  createPerson(input: { personGroup: { id: $groupId }, name: $name }) {
    person { personId name }
    userErrors { code message field }
  }
}`;

const ADD_FACE = `mutation DemoAddFace($groupId: ID!, $personId: ID!, $photo: Upload) {
  addPersonFace(input: { personGroup: { id: $groupId }, personId: $personId, face: { image: { file: $photo } } }) {
    persistedFace { persistedFaceId }
    userErrors { code message field }
  }
}`;

const TRAIN = `mutation DemoTrain($groupId: ID!) {
  trainPersonGroup(input: { id: $groupId }) {
    training { status message }
    userErrors { code message field }
  }
}`;

const TRAINING = `query DemoTraining($groupId: ID!) {
  personGroup(id: $groupId) { training { status message } }
}`;

const IDENTIFY_DETECT = `query DemoIdentifyDetect($photo: Upload) {
  detectFaces(image: { file: $photo }, options: { recognitionModel: RECOGNITION_04 }) {
    faceId
    faceRectangle { left top width height }
  }
}`;

const IDENTIFY = `mutation DemoIdentify($groupId: ID!, $faces: [FaceRefInput!]!) {
  identifyFaces(input: { personGroup: { id: $groupId }, faces: $faces }) {
    results { faceId candidates { personId confidence person { name } } }
    userErrors { code message field }
  }
}`;

/** The person group of this page, created by "Enrol and train". */
let personGroupId = null;

function addPersonFieldset() {
  const fieldset = $('person-template').content.firstElementChild.cloneNode(true);
  $('people').appendChild(fieldset);
  fieldset.addEventListener('input', updateTrainButton);
  fieldset.addEventListener('change', updateTrainButton);
  updateTrainButton();
}

function enrolments() {
  return [...document.querySelectorAll('#people .person')]
    .map((fieldset) => ({
      name: fieldset.querySelector('.person-name').value.trim(),
      files: [...fieldset.querySelector('.person-files').files],
    }))
    .filter((p) => p.name && p.files.length > 0);
}

function updateTrainButton() {
  $('train').disabled = enrolments().length === 0;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function enrolAndTrain() {
  const panel = $('identify');
  panel.dataset.state = 'training';
  $('identify-file').disabled = true;
  try {
    const people = enrolments();
    personGroupId = `demo-${crypto.randomUUID()}`;
    setStatus('train-status', 'Creating a person group…', 'working');
    checkUserErrors((await gql(CREATE_GROUP, { id: personGroupId })).createPersonGroup);
    for (const person of people) {
      setStatus('train-status', `Enrolling ${person.name}…`, 'working');
      const { personId } = checkUserErrors((await gql(CREATE_PERSON, { groupId: personGroupId, name: person.name })).createPerson).person;
      for (const file of person.files) {
        checkUserErrors((await gql(ADD_FACE, { groupId: personGroupId, personId }, { photo: file })).addPersonFace);
      }
    }
    setStatus('train-status', 'Training…', 'working');
    let { training } = checkUserErrors((await gql(TRAIN, { groupId: personGroupId })).trainPersonGroup);
    while (training.status === 'NOT_STARTED' || training.status === 'RUNNING') {
      await sleep(500);
      training = (await gql(TRAINING, { groupId: personGroupId })).personGroup.training;
    }
    if (training.status !== 'SUCCEEDED') throw new Error(`training ${training.status}: ${training.message ?? ''}`);
    const faces = people.reduce((n, p) => n + p.files.length, 0);
    setStatus('train-status', `Trained: ${people.length} people, ${faces} photos (person group ${personGroupId}).`, 'done');
    $('identify-file').disabled = false;
    panel.dataset.state = 'trained';
  } catch (err) {
    setStatus('train-status', `Could not enrol and train: ${err.message}`, 'error');
    panel.dataset.state = 'error';
  }
}

async function identify(file) {
  const panel = $('identify');
  panel.dataset.state = 'working';
  setStatus('identify-status', `Identifying the faces in ${file.name}…`, 'working');
  try {
    const img = $('identify-image');
    $('identify-stage').hidden = false;
    const [size, data] = await Promise.all([showImage(img, file), gql(IDENTIFY_DETECT, {}, { photo: file })]);
    const faces = data.detectFaces;
    const overlay = $('identify-overlay');
    resetOverlay(overlay, size);
    let names = [];
    if (faces.length > 0) {
      const refs = faces.slice(0, 10).map((face) => ({ faceId: face.faceId }));
      const { results } = checkUserErrors((await gql(IDENTIFY, { groupId: personGroupId, faces: refs })).identifyFaces);
      names = results.map((r) => r.candidates[0] ?? null);
    }
    faces.forEach((face, i) => {
      const best = names[i];
      const label = best ? `${best.person?.name ?? best.personId} ${round(best.confidence)}` : 'unknown';
      const g = drawFace(overlay, face, i, label);
      g.dataset.person = best?.person?.name ?? '';
    });
    const known = names.filter(Boolean).length;
    setStatus('identify-status', `${faces.length} ${faces.length === 1 ? 'face' : 'faces'}, ${known} identified.`, 'done');
    panel.dataset.state = 'done';
  } catch (err) {
    setStatus('identify-status', `Could not identify: ${err.message}`, 'error');
    panel.dataset.state = 'error';
  }
}

// ---- Liveness -------------------------------------------------------------------------------------

const CREATE_LIVENESS = `mutation DemoLiveness {
  createLivenessSession(input: { livenessOperationMode: PASSIVE, deviceCorrelationId: "facegraph-demo", sendResultsToClient: true }) {
    session { authToken }
    userErrors { code message field }
  }
}`;

/** The capture page takes its session's token in the URL fragment (never sent to a server). */
async function startLiveness() {
  setStatus('liveness-status', 'Creating a liveness session…', 'working');
  try {
    const { session } = checkUserErrors((await gql(CREATE_LIVENESS)).createLivenessSession);
    location.assign(`/liveness#token=${encodeURIComponent(session.authToken)}`);
  } catch (err) {
    setStatus('liveness-status', `Could not create a liveness session: ${err.message}`, 'error');
  }
}

// ---- Wiring ---------------------------------------------------------------------------------------

/** A drop zone: files dropped on `zone` are handed to `onFiles`, like picking them in its input. */
function dropZone(zone, input, onFiles) {
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    if (event.dataTransfer?.files.length) {
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event('change'));
    }
  });
  input.addEventListener('change', () => {
    if (input.files.length > 0) onFiles(input.files);
  });
}

function start() {
  const keyInput = $('api-key');
  keyInput.value = sessionStorage.getItem(KEY_STORAGE) ?? '';
  keyInput.addEventListener('change', () => {
    const key = keyInput.value.trim();
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
    $('key-status').textContent = key ? 'Key saved for this tab.' : 'No key: requests go without one.';
  });

  dropZone($('detect-drop'), $('detect-file'), (files) => detect(files[0]));

  const verifyReady = () => {
    $('verify-run').disabled = !($('verify-file-1').files.length && $('verify-file-2').files.length);
  };
  dropZone($('verify-drop-1'), $('verify-file-1'), verifyReady);
  dropZone($('verify-drop-2'), $('verify-file-2'), verifyReady);
  $('verify-run').addEventListener('click', verify);

  dropZone($('group-drop'), $('group-files'), group);

  $('add-person').addEventListener('click', addPersonFieldset);
  addPersonFieldset();
  addPersonFieldset();
  $('train').addEventListener('click', enrolAndTrain);
  dropZone($('identify-drop'), $('identify-file'), (files) => identify(files[0]));

  $('liveness-start').addEventListener('click', startLiveness);

  document.body.dataset.state = 'ready';
}

start();
