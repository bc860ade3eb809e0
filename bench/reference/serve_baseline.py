#!/usr/bin/python3
"""The Python baseline of bench/serve_load.sh: torchvision 0.14's maskrcnn_resnet50_fpn (Debian's
torch 1.13 / torchvision 0.14, CPU, eval, no_grad) behind the standard library's
ThreadingHTTPServer, as a minimal production-minded Python service would be written. It builds
the formula weights of tests/fixtures/make_maskrcnn_fixture.py, the same weights that
bench/java/io/wiseseg/bench/ServeModels.java writes into the run folder `wiseseg serve` loads.

POST /v1/segment takes a raw JPEG/PNG body and answers COCO-results JSON (image_id 0, category_id,
bbox as x, y, w, h, score, segmentation as COCO compressed RLE of the mask at threshold 0.5): the
same work `wiseseg serve`'s /v1/segment does. GET /v2/health/ready answers 200 once warmed up.
One model call at a time (a lock): concurrent calls would each take the torch thread pool and
oversubscribe the cores; the lock is what a careful minimal server does.

usage: serve_baseline.py PORT THREADS NUM_CLASSES MIN_SIZE MAX_SIZE
"""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import torch
from torchvision.io import ImageReadMode, decode_image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures"))
from make_maskrcnn_fixture import build_model  # noqa: E402

MAX_BODY = 32 << 20


def rle_string(mask):
    """COCO's compressed RLE string of a binary H x W mask (column-major runs, starting with 0s)."""
    flat = mask.T.reshape(-1).astype(np.uint8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        counts.insert(0, 0)
    out = []
    for i, c in enumerate(counts):
        x = c - counts[i - 2] if i > 2 else c
        more = True
        while more:
            ch = x & 0x1F
            x >>= 5
            more = (x != -1) if (ch & 0x10) else (x != 0)
            if more:
                ch |= 0x20
            out.append(chr(ch + 48))
    return "".join(out)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    model = None
    lock = threading.Lock()

    def log_message(self, fmt, *args):  # quiet: the load test makes thousands of requests
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/v2/health/ready":
            self.answer(200, {"ready": True})
        else:
            self.answer(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/v1/segment":
            self.answer(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            self.answer(400 if length <= 0 else 413, {"error": "bad body length"})
            return
        body = self.rfile.read(length)
        try:
            image = decode_image(torch.frombuffer(bytearray(body), dtype=torch.uint8), ImageReadMode.RGB)
        except RuntimeError as e:
            self.answer(400, {"error": "not a readable image: " + str(e).splitlines()[0]})
            return
        with self.lock, torch.no_grad():
            out = self.model([image.float() / 255.0])[0]
        masks = (out["masks"][:, 0] >= 0.5).numpy()
        results = []
        for i in range(len(out["scores"])):
            x0, y0, x1, y1 = out["boxes"][i].tolist()
            results.append({"image_id": 0, "category_id": int(out["labels"][i]),
                            "bbox": [x0, y0, x1 - x0, y1 - y0], "score": float(out["scores"][i]),
                            "segmentation": {"size": [int(image.shape[1]), int(image.shape[2])],
                                             "counts": rle_string(masks[i])}})
        self.answer(200, results)


def main():
    port, threads, classes, min_size, max_size = (int(a) for a in sys.argv[1:6])
    torch.set_num_threads(threads)
    Handler.model = build_model(num_classes=classes, min_size=min_size, max_size=max_size)
    with torch.no_grad():
        Handler.model([torch.rand(3, 480, 640)])  # warm-up before saying ready
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready on 127.0.0.1:%d" % port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
