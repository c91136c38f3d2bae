/**
 * What Apollo Sandbox opens with on the development landing page (GET /graphql from a browser):
 * a detect query and a verify mutation over public sample photos, ready to run. Keep "<" out of
 * the document: Apollo escapes only the first one when it inlines the document in a <script>.
 * test/e2e/sandbox.test.ts validates both against the served schema and checks the page carries them.
 */

/** Microsoft's public Azure AI Face sample photos (the ones Azure's own quickstarts use). */
const SAMPLES = 'https://raw.githubusercontent.com/Azure-Samples/cognitive-services-sample-data-files/master/Face/images';

export const SANDBOX_DOCUMENT = `# Two example operations: pick one with the Run button (or its menu).
# The photos are Microsoft's public Azure AI Face samples. Replace the URLs in Variables with
# your own photo's: a public http(s) URL (private-network addresses are refused), or
# { "base64": "..." } instead of { "url": "..." }.
# With FACEGRAPH_API_KEYS set, add the header "Authorization: Bearer YOUR_KEY" (Headers tab).

# Every face in the photo, largest first. Landmarks and attributes are computed only
# because they are selected here.
query DetectFaces($photo: ImageInput!) {
  detectFaces(image: $photo, options: { detectionModel: DETECTION_03, recognitionModel: RECOGNITION_04 }) {
    faceId
    faceRectangle {
      top
      left
      width
      height
    }
    detectionConfidence
    landmarks {
      pupilLeft {
        x
        y
      }
      pupilRight {
        x
        y
      }
      noseTip {
        x
        y
      }
    }
    attributes {
      headPose {
        pitch
        roll
        yaw
      }
      blur {
        blurLevel
        value
      }
      qualityForRecognition
    }
    expiresAt
  }
}

# Are the largest faces of two photos the same person? isIdentical is confidence 0.5 or more.
mutation VerifyFaces($face1: ImageInput!, $face2: ImageInput!) {
  verifyFaces(input: { face1: { image: $face1 }, face2: { image: $face2 } }) {
    verification {
      isIdentical
      confidence
    }
    userErrors {
      code
      message
      field
    }
  }
}
`;

export const SANDBOX_VARIABLES = {
  photo: { url: `${SAMPLES}/detection1.jpg` },
  face1: { url: `${SAMPLES}/Family1-Dad1.jpg` },
  face2: { url: `${SAMPLES}/Family1-Dad2.jpg` },
};
