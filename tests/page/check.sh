#!/usr/bin/env bash
# Issue #13: the page of `wiseseg serve` (GET /), checked in a real headless browser (Debian's
# chromium, driven by puppeteer-core from tests/page/check.js). This script
#   1. installs what is missing: chromium (and a font) with apt-get, as root, `apt-get update`
#      only when the package lists lack it; Node.js with apt-get if there is none; puppeteer-core
#      at the version pinned in tests/page/package-lock.json with `npm ci` into
#      tests/page/node_modules (it never downloads a browser: it drives /usr/bin/chromium);
#   2. trains a tiny run with the CLI unless --checkpoint names one (tests/consumer/run.sh's
#      recipe, about a minute on 2 cores, on four synthetic images of discs and squares drawn at
#      192x192 px: the model sees them at 64 px, the page draws masks at 192, so the boxes' and
#      labels' strokes leave enough of each mask to check its pixels);
#   3. starts `wiseseg serve` on a free port of 127.0.0.1 and waits until it is ready;
#   4. runs check.js: an image chosen through the file input, a file that is not an image, an
#      image dropped on the page, each checked against what POST /v1/segment answers directly,
#      the canvas's pixels against the masks, and a screenshot;
#   5. stops the server with SIGTERM and checks that it exits with 0.
# Usage: tests/page/check.sh [--checkpoint RUN --image FILE [--other-image FILE]] [--screenshot PNG]
#   --checkpoint RUN    a trained run (train-maskrcnn --out) instead of the tiny one; then --image
#                       names an image it finds objects in (and --other-image a second one)
#   --screenshot PNG    where the screenshot goes (default: target/serve-page.png); bench/serve-page.png
#                       is a small model trained by the demo's pipeline on 200 synthetic images
#                       (folder D; its classes are unnamed, class0..class5), on a val image:
#                       --checkpoint D/maskrcnn-iou --image D/data/JPEGImages/synth_000199.png
#                       --other-image D/data/JPEGImages/synth_000186.png --screenshot bench/serve-page.png
# Everything else it makes goes to a temp folder, removed at the end (also on failure).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/page"
cd "$root"
start=$SECONDS
checkpoint= image= other= screenshot="$root/target/serve-page.png"
while [ $# -gt 0 ]; do
  case "$1" in
    --checkpoint) checkpoint=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --other-image) other=$2; shift 2 ;;
    --screenshot) screenshot=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "tests/page/check.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -n "$checkpoint" ] && [ -z "$image" ]; then
  echo "tests/page/check.sh: --checkpoint needs --image, an image the run finds objects in" >&2; exit 2
fi
[ -n "$image" ] && [ -z "$other" ] && other=$image

work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "tests/page/check.sh: FAILED: $*" >&2; exit 1; }

echo "== what the check needs: chromium, Node.js, puppeteer-core"
apt_install() {
  [ "$(id -u)" -eq 0 ] || fail "$* missing; install it (apt-get install $*) or run this script as root"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "$@" >"$work/apt.log" 2>&1; then
    apt-get update -q >>"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; fail "apt-get update"; }
    apt-get install -y -q --no-install-recommends "$@" >>"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; fail "apt-get install $*"; }
  fi
}
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "installing chromium (apt-get)"
  apt_install chromium fonts-dejavu-core
fi
command -v node >/dev/null && command -v npm >/dev/null || { echo "installing Node.js (apt-get)"; apt_install nodejs npm; }
lock_sum=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$here/node_modules/.wiseseg-lock" 2>/dev/null)" != "$lock_sum" ]; then
  echo "installing puppeteer-core (npm ci)"
  (cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in tests/page"
  echo "$lock_sum" >"$here/node_modules/.wiseseg-lock"
fi
echo "$("$chromium" --version 2>/dev/null), node $(node --version), puppeteer-core $(node -p 'require(process.argv[1]).version' "$here/node_modules/puppeteer-core/package.json")"

if [ -z "$checkpoint" ]; then
  echo "== a tiny trained run (wiseseg dataset synth + train-maskrcnn)"
  # the model learns these four images in a minute (it would need far longer to find shapes in
  # images it has not seen), so the page gets two of them
  ./wiseseg dataset synth --out "$work/synth" --images 4 --size 192 --max-instances 2 --classes disc,square \
    --noise 0.02 --val-fraction 0 --jpeg >"$work/synth.log" 2>&1 || { cat "$work/synth.log"; fail "dataset synth"; }
  ./wiseseg train-maskrcnn --dataset "$work/synth" --out "$work/run" --model small --min-size 64 --max-size 64 \
    --epochs 30 --batch-size 2 --lr 0.01 --warmup 10 --threads 1 >"$work/train.log" 2>&1 \
    || { tail -20 "$work/train.log"; fail "train-maskrcnn"; }
  checkpoint="$work/run"
  image="$work/synth/JPEGImages/synth_000002.jpg"
  other="$work/synth/JPEGImages/synth_000003.jpg"
fi
[ -f "$image" ] || fail "no image $image"
[ -f "$other" ] || fail "no image $other"
printf 'this is not an image\n' >"$work/notes.txt"

echo "== wiseseg serve --checkpoint $checkpoint --port 0"
./wiseseg serve --checkpoint "$checkpoint" --host 127.0.0.1 --port 0 --threads 1 >"$work/serve.log" 2>&1 &
server=$!
base=
for _ in $(seq 1 600); do
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; server=; fail "the server exited before it was ready"; }
  [ -n "$base" ] || base=$(sed -n 's|^wiseseg serve: listening on \(http://127\.0\.0\.1:[0-9]*\)/.*|\1|p' "$work/serve.log")
  grep -q '^wiseseg serve: ready$' "$work/serve.log" && break
  sleep 0.2
done
grep -q '^wiseseg serve: ready$' "$work/serve.log" || { cat "$work/serve.log"; fail "the server was not ready within 120 s"; }
[ -n "$base" ] || { cat "$work/serve.log"; fail "the server named no address"; }
echo "$base is ready"

echo "== the page in headless chromium"
passed=0 failed=0
status=0
CHROMIUM="$chromium" node "$here/check.js" "$base" "$image" "$other" "$work/notes.txt" "$screenshot" \
  | tee "$work/check.out" || status=$?
passed=$(grep -c '^ok - ' "$work/check.out" || true)
failed=$(grep -c '^FAILED - ' "$work/check.out" || true)
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || { failed=1; echo "FAILED - check.js exited with $status"; }

echo "== stop the server (SIGTERM)"
kill -TERM "$server"
code=0
wait "$server" || code=$?
server=
if [ "$code" -eq 0 ] && grep -q '^wiseseg serve: stopped$' "$work/serve.log"; then
  passed=$((passed + 1)); echo "ok - the server stopped on SIGTERM with exit code 0"
else
  failed=$((failed + 1)); echo "FAILED - the server stopped on SIGTERM with exit code $code"; tail -20 "$work/serve.log"
fi
echo "page check: $passed passed, $failed failed ($((SECONDS - start)) s; screenshot: $screenshot)"
[ "$failed" -eq 0 ] || exit 1
