// Drives the page of `wiseseg serve` (GET /) in headless chromium through puppeteer-core and
// checks what a user sees against what the server answers. Run by tests/page/check.sh, which
// starts the server; usage:
//   node check.js BASE_URL IMAGE OTHER_IMAGE NOT_AN_IMAGE SCREENSHOT
// IMAGE must hold objects the model finds; OTHER_IMAGE is a second image for the drop check.
// Prints one line per check ("ok - ..." or "FAILED - ...") and exits 1 if any failed.
"use strict";
const fs = require("fs");
const path = require("path");
const puppeteer = require("puppeteer-core");

const [base, imagePath, otherPath, notImagePath, screenshotPath] = process.argv.slice(2);
if (!screenshotPath) {
  console.error("usage: node check.js BASE_URL IMAGE OTHER_IMAGE NOT_AN_IMAGE SCREENSHOT");
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TIMEOUT_MS = 60000;

let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log("ok - " + name);
  } else {
    failed++;
    console.log("FAILED - " + name + (detail ? ": " + detail : ""));
  }
  return ok;
}

function mimeOf(file) {
  const ext = path.extname(file).toLowerCase();
  return ext === ".png" ? "image/png" : ext === ".jpg" || ext === ".jpeg" ? "image/jpeg" : "text/plain";
}

// What the page posts: the file's bytes, typed image/jpeg or image/png, anything else as
// application/octet-stream (so the server, not the browser, judges the bytes).
async function segmentDirectly(file) {
  const type = mimeOf(file);
  const response = await fetch(base + "/v1/segment", {
    method: "POST", body: fs.readFileSync(file),
    headers: { "Content-Type": type === "text/plain" ? "application/octet-stream" : type },
  });
  return { status: response.status, body: await response.json() };
}

// pycocotools' rleFrString + rleDecode, written here from the COCO format, not copied from the
// page: a compressed RLE string to a row-major 0/1 array of h*w (runs are column-major, 0s first)
function decodeRle(rle) {
  const [h, w] = rle.size, s = rle.counts, counts = [];
  for (let p = 0; p < s.length;) {
    let x = 0, k = 0, more = true;
    while (more) {
      const c = s.charCodeAt(p++) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      k++;
      if (!more && (c & 0x10) !== 0) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  const mask = new Uint8Array(h * w);
  let i = 0;
  counts.forEach((n, r) => {
    if (r % 2 === 1) for (let j = i; j < i + n; j++) mask[(j % h) * w + Math.floor(j / h)] = 1;
    i += n;
  });
  return mask;
}

// the page's state once it is no longer segmenting: status line, table rows, canvas pixels, and
// the plain image decoded by the same browser (to tell the overlay from the image)
async function pageState(page, imageFile, labels) {
  let timedOut = false;
  await page.waitForFunction(() => {
    const text = document.getElementById("status").textContent;
    return text !== "(check: waiting)" && !text.startsWith("Segmenting");
  }, { timeout: TIMEOUT_MS }).catch(() => { timedOut = true; });
  const imageB64 = imageFile ? fs.readFileSync(imageFile).toString("base64") : null;
  return page.evaluate(async (imageB64, type, labels) => {
    const status = document.getElementById("status");
    const rows = [...document.querySelectorAll("#table tr")].slice(1).map(tr => {
      const cells = tr.querySelectorAll("td");
      return { name: cells[0].textContent.trim(), score: cells[1].textContent.trim(),
               colour: getComputedStyle(cells[0].querySelector(".swatch")).backgroundColor };
    });
    const canvas = document.getElementById("canvas");
    const state = { status: status.textContent, error: status.classList.contains("error"), rows,
                    width: canvas.width, height: canvas.height };
    if (imageB64 && canvas.width > 0) {
      const ctx = canvas.getContext("2d");  // the font the page draws its labels in
      state.labelWidths = (labels || []).map(l => ctx.measureText(l).width);
      state.canvas = [...canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data];
      const bytes = Uint8Array.from(atob(imageB64), c => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type }), { imageOrientation: "from-image" });
      const plain = new OffscreenCanvas(bitmap.width, bitmap.height).getContext("2d");
      plain.drawImage(bitmap, 0, 0);
      state.plainWidth = bitmap.width;
      state.plainHeight = bitmap.height;
      state.plain = [...plain.getImageData(0, 0, bitmap.width, bitmap.height).data];
    }
    return state;
  }, imageB64, imageFile ? mimeOf(imageFile) : null, labels).then(state => {
    if (timedOut) state.status = "(no answer within " + TIMEOUT_MS / 1000 + " s) " + state.status;
    return state;
  });
}

// does what a user does, then waits for the page's answer: the status line is first set to a
// text the page never writes, so the answer is the page's reaction to this action, not an old one
async function act(page, imageFile, action, labels) {
  await page.evaluate(() => { document.getElementById("status").textContent = "(check: waiting)"; });
  await action();
  return pageState(page, imageFile, labels);
}

// the labels the page draws on the canvas
function labelsOf(direct) {
  return Array.isArray(direct.body) ? direct.body.map(r => r.category_name + " " + r.score.toFixed(2)) : [];
}

// the result on the page matches the server's answer for the same image, and the canvas shows it
function checkResult(what, state, direct) {
  if (!check(what + ": POST /v1/segment answers it directly", direct.status === 200 && Array.isArray(direct.body),
    "status " + direct.status + ", " + JSON.stringify(direct.body).slice(0, 200))) return;
  const names = state.rows.map(r => r.name), want = direct.body.map(r => r.category_name);
  check(what + ": the page lists the instances POST /v1/segment returns (" + want.length + ": " + want.join(", ") + ")",
    !state.error && JSON.stringify(names) === JSON.stringify(want),
    "page " + JSON.stringify(names) + ", server " + JSON.stringify(want) + ", status '" + state.status + "'");
  const scores = state.rows.map(r => r.score), wantScores = direct.body.map(r => r.score.toFixed(3));
  check(what + ": the page shows the server's scores (" + wantScores.join(", ") + ")",
    JSON.stringify(scores) === JSON.stringify(wantScores),
    "page " + JSON.stringify(scores) + ", server " + JSON.stringify(wantScores));
  check(what + ": the page shows the time taken ('" + state.status + "')",
    /^\d+ instances? in \d+ ms \(server: .*model [\d.]+ ms/.test(state.status) &&
      state.status.startsWith(want.length + " instance"),
    "status '" + state.status + "'");
  check(what + ": the canvas holds the whole image (" + state.width + "x" + state.height + ")",
    state.canvas && state.width === state.plainWidth && state.height === state.plainHeight,
    "canvas " + state.width + "x" + state.height + ", image " + state.plainWidth + "x" + state.plainHeight);
  if (!state.canvas || state.width !== state.plainWidth || state.height !== state.plainHeight) return;
  checkOverlay(what, state, direct.body);
}

// Each mask is drawn where the server put it, in its instance's colour: a pixel of one mask only
// (away from the boxes' outlines and labels) is the image blended with that colour, 55 %; a pixel
// outside every mask, box and label is the image unchanged.
function checkOverlay(what, state, instances) {
  const w = state.width, h = state.height;
  const masks = instances.map(r => decodeRle(r.segmentation));
  const decoded = instances.every(r => r.segmentation.size[0] === h && r.segmentation.size[1] === w);
  // the decoder reads the masks as the server meant them: each mask lies inside its box, give or
  // take the margin Mask R-CNN pastes a 28x28 mask with (the box widened by 1/28 of its size on
  // each side, torchvision's expand_boxes) and a pixel of rounding
  let outOfBox = "";
  masks.forEach((m, k) => {
    const [bx, by, bw, bh] = instances[k].bbox, mx = bw / 28 + 1.5, my = bh / 28 + 1.5;
    for (let y = 0; y < h && !outOfBox; y++) for (let x = 0; x < w && !outOfBox; x++) {
      if (m[y * w + x] && (x < bx - mx || x + 1 > bx + bw + mx || y < by - my || y + 1 > by + bh + my)) {
        outOfBox = "mask " + k + " has pixel (" + x + ", " + y + ") outside its box " + [bx, by, bw, bh].join(", ");
      }
    }
  });
  if (!decoded) outOfBox = "mask sizes " + instances.map(r => r.segmentation.size.join("x")).join(", ");
  else if (!masks.some(m => m.includes(1))) outOfBox = "every mask is empty";
  if (!check(what + ": the masks are " + w + "x" + h + " and lie inside their boxes", !outOfBox, outOfBox)) return;
  // near a box outline or under a label (text on a dark strip above the box, as wide as its
  // text, so up to the image's right edge here): drawn over, not blended
  const decoration = new Uint8Array(w * h);
  const mark = (x1, y1, x2, y2) => {
    for (let y = Math.max(0, Math.floor(y1)); y < Math.min(h, Math.ceil(y2)); y++) {
      for (let x = Math.max(0, Math.floor(x1)); x < Math.min(w, Math.ceil(x2)); x++) decoration[y * w + x] = 1;
    }
  };
  instances.forEach((r, k) => {
    const [bx, by, bw, bh] = r.bbox;
    mark(bx - 2, by - 2, bx + bw + 2, by + 2);
    mark(bx - 2, by + bh - 2, bx + bw + 2, by + bh + 2);
    mark(bx - 2, by - 2, bx + 2, by + bh + 2);
    mark(bx + bw - 2, by - 2, bx + bw + 2, by + bh + 2);
    const labelTop = Math.max(0, by - 16), labelWidth = state.labelWidths[k];
    mark(bx - 1, labelTop - 1, labelWidth === undefined ? w : bx + labelWidth + 8, labelTop + 17);
  });
  const colours = state.rows.map(r => (r.colour.match(/\d+/g) || []).slice(0, 3).map(Number));
  // the expected canvas: the image with each mask blended over it in turn, 45 % image and 55 %
  // the instance's colour (the swatch in its table row), rounded to bytes
  const expected = Uint8ClampedArray.from(state.plain);
  masks.forEach((m, k) => m.forEach((v, i) => {
    if (v) for (let j = 0; j < 3; j++) expected[i * 4 + j] = Math.round(expected[i * 4 + j] * 0.45 + colours[k][j] * 0.55);
  }));
  const inMask = new Uint8Array(w * h);
  masks.forEach(m => m.forEach((v, i) => { if (v) inMask[i] = 1; }));
  let inside = 0, blended = 0, outside = 0, unchanged = 0;
  for (let i = 0; i < w * h; i++) {
    if (decoration[i]) continue;
    const o = i * 4;
    let same = true;
    for (let j = 0; j < 3; j++) same = same && Math.abs(state.canvas[o + j] - expected[o + j]) <= 1;
    if (inMask[i]) {
      inside++;
      if (same) blended++;
    } else {
      outside++;
      if (same) unchanged++;
    }
  }
  check(what + ": the canvas shows the masks in their instances' colours (" + blended + " of " + inside +
    " mask pixels away from boxes and labels)", inside > 0 && blended === inside, blended + " of " + inside);
  check(what + ": the canvas shows the image unchanged outside the masks, boxes and labels (" + unchanged +
    " of " + outside + " pixels)", outside > 0 && unchanged === outside, unchanged + " of " + outside);
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true,
    // root in a container: chromium's sandbox needs user namespaces it may not have
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 760, height: 600 });
    const scriptErrors = [];
    page.on("pageerror", e => scriptErrors.push(String(e.message || e)));
    page.setDefaultTimeout(TIMEOUT_MS);

    const ready = await fetch(base + "/v2/health/ready");
    check("GET /v2/health/ready answers 200 {\"ready\":true}",
      ready.status === 200 && (await ready.json()).ready === true, "status " + ready.status);

    const response = await page.goto(base + "/", { waitUntil: "load" });
    check("GET / serves the page (" + response.status() + ", '" + await page.title() + "')",
      response.status() === 200 && await page.$("input[type=file]#file") !== null && await page.$("canvas") !== null);

    // every instance, as the server answers them (the page shows those scoring 0.5 and more at first)
    const setMinScore = v => page.evaluate(v => {
      const slider = document.getElementById("min-score");
      slider.value = String(v);
      slider.dispatchEvent(new Event("input"));
    }, v);
    check("the page's score slider starts at 0.5",
      await page.$eval("#min-score", e => e.value) === "0.5", await page.$eval("#min-score", e => e.value));
    await setMinScore(0);

    // 1. choose an image through the file input
    const direct = await segmentDirectly(imagePath);
    check("POST /v1/segment finds instances in " + path.basename(imagePath) + " (" + direct.body.length + ")",
      direct.status === 200 && direct.body.length > 0, "status " + direct.status + ", " + JSON.stringify(direct.body).slice(0, 200));
    const input = await page.$("#file");
    checkResult("chosen image", await act(page, imagePath, () => input.uploadFile(imagePath), labelsOf(direct)), direct);

    // 1b. the slider hides low scores without a new request; back at 0 the whole answer shows again
    await setMinScore(0.5);
    const filtered = await pageState(page, imagePath, []);
    const high = direct.body.filter(r => r.score >= 0.5);
    check("at a minimum score of 0.5 the page lists the " + high.length + " instances scoring at least 0.5",
      JSON.stringify(filtered.rows.map(r => r.name + " " + r.score)) ===
        JSON.stringify(high.map(r => r.category_name + " " + r.score.toFixed(3))) &&
        (high.length === direct.body.length || filtered.status.startsWith(high.length + " of " + direct.body.length + " instances")),
      "rows " + JSON.stringify(filtered.rows.map(r => r.name + " " + r.score)) + ", status '" + filtered.status + "'");
    await setMinScore(0);
    const restored = await pageState(page, imagePath, labelsOf(direct));
    checkResult("back at a minimum score of 0", restored, direct);

    // 2. a file that is not an image: the server's one-line error, no stale result
    const refused = await segmentDirectly(notImagePath);
    check("POST /v1/segment refuses " + path.basename(notImagePath) + " (" + refused.status + ": " + refused.body.error + ")",
      refused.status === 400 && typeof refused.body.error === "string");
    const errorState = await act(page, null, () => input.uploadFile(notImagePath));
    check("a non-image file shows the server's error on the page ('" + errorState.status + "')",
      errorState.error && errorState.status.includes(refused.body.error) && errorState.status.includes(String(refused.status)),
      "status '" + errorState.status + "', error class " + errorState.error);
    check("the refused file leaves no earlier result on the page",
      errorState.rows.length === 0 && (errorState.width === 0 || errorState.height === 0),
      errorState.rows.length + " table rows, canvas " + errorState.width + "x" + errorState.height);

    // 3. the page keeps working: drop another image on it (as a user's drag and drop does)
    const other = await segmentDirectly(otherPath);
    const otherB64 = fs.readFileSync(otherPath).toString("base64");
    const dropped = await act(page, otherPath, () => page.evaluate((b64, name, type) => {
      const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], name, { type }));
      const drop = document.getElementById("drop");
      drop.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
      drop.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    }, otherB64, path.basename(otherPath), mimeOf(otherPath)), labelsOf(other));
    checkResult("dropped image after the error", dropped, other);

    // 4. and the file input again, for the screenshot (at the page's first minimum score, 0.5)
    const again = await act(page, imagePath, () => input.uploadFile(imagePath));
    check("the first image chosen again gives the same result",
      JSON.stringify(again.rows.map(r => r.name)) === JSON.stringify(direct.body.map(r => r.category_name)) && !again.error,
      "status '" + again.status + "'");
    await setMinScore(0.5);
    fs.mkdirSync(path.dirname(path.resolve(screenshotPath)), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
    check("screenshot written to " + screenshotPath, fs.statSync(screenshotPath).size > 0);

    check("no script error on the page", scriptErrors.length === 0, scriptErrors.join(" | "));
  } finally {
    await browser.close();
  }
}

main().then(() => {
  console.log("page checks: " + passed + " passed, " + failed + " failed");
  process.exit(failed ? 1 : 0);
}, e => {
  console.log("FAILED - the browser session stopped: " + (e && e.stack || e));
  console.log("page checks: " + passed + " passed, " + (failed + 1) + " failed");
  process.exit(1);
});
