// Small helpers shared by the native tests: checks that count failures, seeded random inputs,
// mask packing.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace test {

inline int &failures() {
  static int count = 0;
  return count;
}

// Records a failure (printing at most a few per run, so a broken kernel does not flood the log).
inline bool check(bool ok, const std::string &what) {
  if (!ok) {
    if (failures() < 30) std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    ++failures();
  }
  return ok;
}

inline bool close(double actual, double expected, double rel, double abs_tol) {
  if (actual == expected) return true;  // also equal infinities
  return std::fabs(actual - expected) <= abs_tol + rel * std::fabs(expected);
}

struct Random {
  std::mt19937_64 engine;
  explicit Random(uint64_t seed) : engine(seed) {}
  double uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(engine);
  }
  int64_t integer(int64_t lo, int64_t hi) {  // inclusive
    return std::uniform_int_distribution<int64_t>(lo, hi)(engine);
  }
  std::vector<float> floats(int64_t count, double lo, double hi) {
    std::vector<float> v(static_cast<size_t>(count));
    for (auto &x : v) x = static_cast<float>(uniform(lo, hi));
    return v;
  }
  // Small integers: many ties.
  std::vector<float> levels(int64_t count, int top) {
    std::vector<float> v(static_cast<size_t>(count));
    for (auto &x : v) x = static_cast<float>(integer(0, top));
    return v;
  }
};

inline int64_t words_per_row(int64_t w) { return (w + 63) / 64; }

// Packs p masks of h x w bytes (0/1) into the header's row-padded 64-bit layout.
inline std::vector<uint64_t> pack_masks(const std::vector<uint8_t> &masks, int64_t p, int64_t h,
                                        int64_t w) {
  const int64_t wpr = words_per_row(w);
  std::vector<uint64_t> packed(static_cast<size_t>(p * h * wpr), 0);
  for (int64_t q = 0; q < p; ++q)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        if (masks[(q * h + y) * w + x])
          packed[(q * h + y) * wpr + x / 64] |= uint64_t{1} << (x % 64);
  return packed;
}

// Random proposal masks: filled ellipses and rectangles (some touching the border), speckle noise,
// an empty and a full mask; with blobs_only, ellipses and rectangles only (like real proposals).
inline std::vector<uint8_t> random_masks(Random &rng, int64_t p, int64_t h, int64_t w,
                                         bool blobs_only = false) {
  std::vector<uint8_t> m(static_cast<size_t>(p * h * w), 0);
  for (int64_t q = 0; q < p; ++q) {
    uint8_t *mask = m.data() + q * h * w;
    const int64_t kind = blobs_only ? q % 2 : q % 5;
    if (kind == 3 && q > 0) continue;  // empty
    if (kind == 4) {                   // full
      std::fill(mask, mask + h * w, 1);
      continue;
    }
    const double cy = rng.uniform(-0.2, 1.2) * h, cx = rng.uniform(-0.2, 1.2) * w;
    const double ry = rng.uniform(0.5, 0.7 * h + 1), rx = rng.uniform(0.5, 0.7 * w + 1);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const double dy = (y - cy) / ry, dx = (x - cx) / rx;
        bool in = kind == 1 ? (std::fabs(dy) <= 1 && std::fabs(dx) <= 1) : dy * dy + dx * dx <= 1;
        if (kind == 2) in = rng.integer(0, 3) == 0;
        mask[y * w + x] = in;
      }
  }
  return m;
}

// Random RoIs (batch, x1, y1, x2, y2) over an img_h x img_w image: partly outside, zero-size,
// malformed (x2 < x1) and wholly outside ones included.
inline std::vector<float> random_rois(test::Random &rng, int64_t r, int64_t n, double img_h,
                               double img_w) {
  std::vector<float> rois(static_cast<size_t>(r * 5));
  for (int64_t i = 0; i < r; ++i) {
    float *roi = rois.data() + i * 5;
    roi[0] = static_cast<float>(rng.integer(0, n - 1));
    const double x1 = rng.uniform(-0.3 * img_w, 1.1 * img_w), y1 = rng.uniform(-0.3 * img_h, 1.1 * img_h);
    double bw = rng.uniform(0, 0.8 * img_w), bh = rng.uniform(0, 0.8 * img_h);
    if (i % 6 == 3) bw = bh = 0;               // zero size
    if (i % 6 == 4) bw = -rng.uniform(0, 5);   // malformed: x2 < x1
    roi[1] = static_cast<float>(x1);
    roi[2] = static_cast<float>(y1);
    roi[3] = static_cast<float>(x1 + bw);
    roi[4] = static_cast<float>(y1 + bh);
    if (i % 6 == 5) {  // wholly outside
      roi[1] = static_cast<float>(img_w + 8);
      roi[3] = static_cast<float>(img_w + 30);
    }
  }
  return rois;
}

}  // namespace test
