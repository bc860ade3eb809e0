// Times the CPU kernels on the target shapes (median of several runs). Usage: bench_native
// [threads]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "test_util.h"
#include "wiseseg_kernels.h"

namespace {

double median_ms(int runs, const std::function<void()> &body) {
  std::vector<double> ms;
  body();  // warm-up
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void expect_ok(int32_t rc) {
  if (rc != WS_OK) {
    std::fprintf(stderr, "kernel failed: %s\n", ws_last_error());
    std::exit(1);
  }
}

// PRM-like maps: 14 x 14 noise upsampled x8 (bilinear, align_corners), or plain noise.
std::vector<float> peak_maps(test::Random &rng, int64_t count, bool smooth) {
  const int64_t h = 112, w = 112, s = 14;
  if (!smooth) return rng.floats(count * h * w, -1, 1);
  std::vector<float> maps(static_cast<size_t>(count * h * w));
  for (int64_t m = 0; m < count; ++m) {
    const auto coarse = rng.floats(s * s, -1, 1);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const double fy = y * (s - 1.0) / (h - 1), fx = x * (s - 1.0) / (w - 1);
        const int64_t y0 = std::min<int64_t>(static_cast<int64_t>(fy), s - 2);
        const int64_t x0 = std::min<int64_t>(static_cast<int64_t>(fx), s - 2);
        const double ly = fy - y0, lx = fx - x0;
        const float *c = coarse.data() + y0 * s + x0;
        maps[(m * h + y) * w + x] = static_cast<float>(
            (1 - ly) * ((1 - lx) * c[0] + lx * c[1]) + ly * ((1 - lx) * c[s] + lx * c[s + 1]));
      }
  }
  return maps;
}

void bench_peaks(test::Random &rng, int64_t n, bool smooth) {
  const int64_t c = 20, h = 112, w = 112;
  const auto maps = peak_maps(rng, n * c, smooth);
  std::vector<int32_t> peaks(n * c * h * w * 4);
  std::vector<float> values(n * c * h * w), agg(n * c);
  int64_t count = 0;
  const double ms = median_ms(20, [&] {
    expect_ok(ws_peak_find(maps.data(), n, c, h, w, 3, nullptr, n * c * h * w, peaks.data(),
                           values.data(), &count, agg.data(), nullptr, nullptr, nullptr));
  });
  std::printf("peak_find %lldx20x112x112 (%s maps, %lld peaks): %.2f ms\n",
              static_cast<long long>(n), smooth ? "smooth" : "noise", static_cast<long long>(count), ms);
}

void bench_proposals(test::Random &rng) {
  const int64_t p = 500, k = 20, h = 375, w = 500;
  const auto masks = test::pack_masks(test::random_masks(rng, p, h, w, true), p, h, w);
  const auto maps = rng.floats(k * h * w, 0, 1);
  const auto thresholds = rng.floats(k, 0.2, 0.8);
  std::vector<int32_t> points(2 * k, 100);
  std::vector<float> inside(k * p), boundary(k * p);
  std::vector<int64_t> inter(k * p), uni(k * p), area(p);
  std::vector<uint8_t> contains(k * p);
  const double all = median_ms(10, [&] {
    expect_ok(ws_proposal_score(masks.data(), p, h, w, maps.data(), k, thresholds.data(),
                                points.data(), 2, inside.data(), inter.data(), uni.data(),
                                boundary.data(), contains.data(), area.data(), nullptr));
  });
  const double sums = median_ms(10, [&] {
    expect_ok(ws_proposal_score(masks.data(), p, h, w, maps.data(), k, nullptr, nullptr, 2,
                                inside.data(), nullptr, nullptr, nullptr, nullptr, nullptr,
                                nullptr));
  });
  std::printf("proposal_score 500 blob masks x 20 maps 375x500, r 2: all outputs %.2f ms, sum_inside only %.2f ms\n",
              all, sums);
}

void bench_roi_align(test::Random &rng) {
  const int64_t n = 1, c = 256, h = 200, w = 272, r = 1000;
  const auto input = rng.floats(n * c * h * w, -1, 1);
  std::vector<float> rois(r * 5);
  for (int64_t i = 0; i < r; ++i) {
    const double x1 = rng.uniform(0, 1000), y1 = rng.uniform(0, 700);
    rois[i * 5] = 0;
    rois[i * 5 + 1] = static_cast<float>(x1);
    rois[i * 5 + 2] = static_cast<float>(y1);
    rois[i * 5 + 3] = static_cast<float>(x1 + rng.uniform(16, 300));
    rois[i * 5 + 4] = static_cast<float>(y1 + rng.uniform(16, 300));
  }
  std::vector<float> out(r * c * 49), grad_in(n * c * h * w);
  const double fwd = median_ms(10, [&] {
    expect_ok(ws_roi_align_forward(input.data(), n, c, h, w, rois.data(), r, 7, 7, 0.25f, 2, 0,
                                   out.data(), nullptr));
  });
  const double bwd = median_ms(10, [&] {
    expect_ok(ws_roi_align_backward(out.data(), rois.data(), r, n, c, h, w, 7, 7, 0.25f, 2, 0,
                                    grad_in.data(), nullptr));
  });
  std::printf("roi_align 1000 RoIs x 256 ch 7x7 sr2 on 200x272: forward %.2f ms, backward %.2f ms\n",
              fwd, bwd);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc > 1) ws_set_num_threads(std::atoi(argv[1]));
  std::printf("threads: %d\n", ws_get_num_threads());
  test::Random rng(7);
  for (bool smooth : {true, false}) {
    bench_peaks(rng, 1, smooth);
    bench_peaks(rng, 16, smooth);
  }
  bench_proposals(rng);
  bench_roi_align(rng);
  return 0;
}
