// Plain, obviously-correct reference implementations of the kernels (no speed tricks).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace ref {

struct Peak {
  int32_t n, c, y, x;
  float value;
};

// PRM's peak stimulation: the map is padded with -inf (F.pad), then max_pool2d(return_indices=True)
// runs over the padded map: the running max starts at -inf with the window's first position
// (padding included) and is replaced only by a strictly greater value. Peaks: pixels that are
// their own window's index and >= the threshold.
inline std::vector<Peak> peaks(const std::vector<float> &maps, int64_t n, int64_t c, int64_t h,
                               int64_t w, int win, const float *thresholds,
                               std::vector<float> &used_thresholds) {
  std::vector<Peak> out;
  used_thresholds.assign(static_cast<size_t>(n * c), 0.f);
  const int64_t half = win / 2, ph = h + 2 * half, pw = w + 2 * half;
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int64_t m = 0; m < n * c; ++m) {
    const float *map = maps.data() + m * h * w;
    if (h * w == 0) continue;
    float threshold;
    if (thresholds) {
      threshold = thresholds[m];
    } else {
      std::vector<float> sorted(map, map + h * w);
      std::sort(sorted.begin(), sorted.end());
      threshold = sorted[(sorted.size() - 1) / 2];
    }
    used_thresholds[m] = threshold;
    std::vector<float> padded(static_cast<size_t>(ph * pw), ninf);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) padded[(y + half) * pw + x + half] = map[y * w + x];
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        // the window of padded pixel (y + half, x + half) starts at padded (y, x)
        float best = ninf;
        int64_t best_index = y * pw + x;
        for (int64_t yy = y; yy < y + win; ++yy)
          for (int64_t xx = x; xx < x + win; ++xx)
            if (padded[yy * pw + xx] > best) {
              best = padded[yy * pw + xx];
              best_index = yy * pw + xx;
            }
        if (best_index == (y + half) * pw + x + half && map[y * w + x] >= threshold)
          out.push_back({static_cast<int32_t>(m / c), static_cast<int32_t>(m % c),
                         static_cast<int32_t>(y), static_cast<int32_t>(x), map[y * w + x]});
      }
  }
  return out;
}

struct Scores {
  std::vector<double> inside, boundary;
  std::vector<int64_t> inter, uni, area;
  std::vector<uint8_t> contains;
};

// Per-pixel proposal scores; boundary pixel = its clipped (2r+1)^2 window holds pixels both in
// and out of the mask.
inline Scores proposal_scores(const std::vector<uint8_t> &masks, int64_t p, int64_t h, int64_t w,
                              const std::vector<float> &maps, int64_t k,
                              const std::vector<float> &thresholds,
                              const std::vector<int32_t> &points, int r) {
  Scores s;
  s.inside.assign(static_cast<size_t>(k * p), 0.0);
  s.boundary.assign(static_cast<size_t>(k * p), 0.0);
  s.inter.assign(static_cast<size_t>(k * p), 0);
  s.uni.assign(static_cast<size_t>(k * p), 0);
  s.contains.assign(static_cast<size_t>(k * p), 0);
  s.area.assign(static_cast<size_t>(p), 0);
  for (int64_t q = 0; q < p; ++q) {
    const uint8_t *mask = masks.data() + q * h * w;
    std::vector<uint8_t> edge(static_cast<size_t>(h * w), 0);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        bool any_in = false, any_out = false;
        for (int64_t yy = std::max<int64_t>(0, y - r); yy <= std::min(h - 1, y + r); ++yy)
          for (int64_t xx = std::max<int64_t>(0, x - r); xx <= std::min(w - 1, x + r); ++xx)
            (mask[yy * w + xx] ? any_in : any_out) = true;
        edge[y * w + x] = any_in && any_out;
        s.area[q] += mask[y * w + x];
      }
    for (int64_t j = 0; j < k; ++j) {
      const float *map = maps.data() + j * h * w;
      for (int64_t i = 0; i < h * w; ++i) {
        const bool in_t = map[i] >= thresholds[j];
        if (mask[i]) s.inside[j * p + q] += map[i];
        if (edge[i]) s.boundary[j * p + q] += map[i];
        s.inter[j * p + q] += mask[i] && in_t;
        s.uni[j * p + q] += mask[i] || in_t;
      }
      const int64_t py = points[2 * j], px = points[2 * j + 1];
      s.contains[j * p + q] = py >= 0 && py < h && px >= 0 && px < w && mask[py * w + px];
    }
  }
  return s;
}

struct RoiAlignParams {
  int64_t n, c, h, w;
  int pooled_h, pooled_w;
  double scale;
  int sampling_ratio;
  bool aligned;
};

// Bilinear value at (y, x) with torchvision's out-of-range and clamping rules, in double.
inline double bilinear(const double *plane, int64_t h, int64_t w, double y, double x) {
  if (y < -1.0 || y > h || x < -1.0 || x > w) return 0.0;
  y = std::max(y, 0.0);
  x = std::max(x, 0.0);
  int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x), y1, x1;
  if (y0 >= h - 1) { y0 = y1 = h - 1; y = static_cast<double>(y0); } else { y1 = y0 + 1; }
  if (x0 >= w - 1) { x0 = x1 = w - 1; x = static_cast<double>(x0); } else { x1 = x0 + 1; }
  const double ly = y - y0, lx = x - x0;
  return (1 - ly) * (1 - lx) * plane[y0 * w + x0] + (1 - ly) * lx * plane[y0 * w + x1] +
         ly * (1 - lx) * plane[y1 * w + x0] + ly * lx * plane[y1 * w + x1];
}

// RoIAlign forward in double; input given as doubles so finite differences are exact.
inline std::vector<double> roi_align(const std::vector<double> &input,
                                     const std::vector<float> &rois, int64_t r,
                                     const RoiAlignParams &a) {
  std::vector<double> out(static_cast<size_t>(r * a.c * a.pooled_h * a.pooled_w), 0.0);
  for (int64_t i = 0; i < r; ++i) {
    const float *roi = rois.data() + i * 5;
    const int64_t b = static_cast<int64_t>(roi[0]);
    const double off = a.aligned ? 0.5 : 0.0;
    const double x1 = roi[1] * a.scale - off, y1 = roi[2] * a.scale - off;
    const double x2 = roi[3] * a.scale - off, y2 = roi[4] * a.scale - off;
    double rw = x2 - x1, rh = y2 - y1;
    if (!a.aligned) { rw = std::max(rw, 1.0); rh = std::max(rh, 1.0); }
    const double bh = rh / a.pooled_h, bw = rw / a.pooled_w;
    const int gh = a.sampling_ratio > 0 ? a.sampling_ratio : static_cast<int>(std::ceil(rh / a.pooled_h));
    const int gw = a.sampling_ratio > 0 ? a.sampling_ratio : static_cast<int>(std::ceil(rw / a.pooled_w));
    const double count = std::max(gh * gw, 1);
    for (int64_t ch = 0; ch < a.c; ++ch) {
      const double *plane = input.data() + (b * a.c + ch) * a.h * a.w;
      for (int ph = 0; ph < a.pooled_h; ++ph)
        for (int pw = 0; pw < a.pooled_w; ++pw) {
          double sum = 0.0;
          for (int iy = 0; iy < gh; ++iy)
            for (int ix = 0; ix < gw; ++ix) {
              const double y = y1 + ph * bh + (iy + 0.5) * bh / gh;
              const double x = x1 + pw * bw + (ix + 0.5) * bw / gw;
              sum += bilinear(plane, a.h, a.w, y, x);
            }
          out[((i * a.c + ch) * a.pooled_h + ph) * a.pooled_w + pw] = sum / count;
        }
    }
  }
  return out;
}

// torchvision's LevelMapper in double.
inline double fpn_level_exact(const float *roi, double scale, int level0) {
  const double area = (static_cast<double>(roi[3]) - roi[1]) * (static_cast<double>(roi[4]) - roi[2]);
  return level0 + std::log2(std::sqrt(area) / scale) + 1e-6;
}

}  // namespace ref
