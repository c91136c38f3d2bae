/**
 * Azure AI Face v1.2's 27 landmark names in wire order, written from the REST contract
 * (../shared/reference/azure-face-v1.2.md, "The 27 landmarks"). Deliberately not imported from
 * src (AZURE_LANDMARK_NAMES there): the e2e tests check facegraph's answers against the contract,
 * not against facegraph's own list.
 */
export const SPEC_LANDMARK_NAMES = [
  'pupilLeft',
  'pupilRight',
  'noseTip',
  'mouthLeft',
  'mouthRight',
  'eyebrowLeftOuter',
  'eyebrowLeftInner',
  'eyeLeftOuter',
  'eyeLeftTop',
  'eyeLeftBottom',
  'eyeLeftInner',
  'eyebrowRightInner',
  'eyebrowRightOuter',
  'eyeRightInner',
  'eyeRightTop',
  'eyeRightBottom',
  'eyeRightOuter',
  'noseRootLeft',
  'noseRootRight',
  'noseLeftAlarTop',
  'noseRightAlarTop',
  'noseLeftAlarOutTip',
  'noseRightAlarOutTip',
  'upperLipTop',
  'upperLipBottom',
  'underLipTop',
  'underLipBottom',
];
