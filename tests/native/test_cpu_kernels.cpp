// The CPU kernels against the plain references in references.h, on random inputs of several
// shapes and on edge cases, with 1, 2 and 3 worker threads.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "references.h"
#include "test_util.h"
#include "wiseseg_kernels.h"

using test::check;
using test::close;

namespace {

std::string shape(int64_t a, int64_t b, int64_t c, int64_t d) {
  return std::to_string(a) + "x" + std::to_string(b) + "x" + std::to_string(c) + "x" +
         std::to_string(d);
}

void test_library() {
  check(ws_abi_version() == WS_ABI_VERSION, "abi version");
  check(std::strcmp(ws_backend_name(), "cpu") == 0, "backend name");
  // the multiversioned path: "default" when WISESEG_MAX_CPU_ISA caps it (ctest runs both)
  const char *cap = std::getenv("WISESEG_MAX_CPU_ISA");
  const std::string isa = ws_cpu_isa();
  check(isa == "default" || isa == "avx2", "cpu isa name");
  if (cap != nullptr && std::string(cap) == "default") check(isa == "default", "WISESEG_MAX_CPU_ISA=default honoured");
  std::printf("test_cpu_kernels: kernel code path %s (WISESEG_MAX_CPU_ISA=%s)\n", isa.c_str(), cap ? cap : "unset");
  int32_t count = -1;
  check(ws_device_count(&count) == WS_OK && count == 0, "device count 0");
  check(ws_set_device(0) == WS_OK, "set_device(0)");
  check(ws_set_device(1) == WS_ERR_ARGUMENT && std::strlen(ws_last_error()) > 0, "set_device(1)");
  char name[16];
  check(ws_device_name(0, name, sizeof name) != WS_OK, "device_name fails on CPU");
  check(ws_synchronize(nullptr) == WS_OK, "synchronize");
  check(ws_range_push("stage") == WS_OK && ws_range_pop() == WS_OK, "range push/pop are no-ops");
  check(ws_range_push(nullptr) == WS_ERR_ARGUMENT && std::strlen(ws_last_error()) > 0, "range_push(NULL)");
  ws_set_num_threads(3);
  check(ws_get_num_threads() == 3, "set/get threads");
  ws_set_num_threads(0);
  check(ws_get_num_threads() >= 1, "default threads");
}

void run_peaks(test::Random &rng, int64_t n, int64_t c, int64_t h, int64_t w, int win,
               std::vector<float> maps, bool given_thresholds) {
  const std::string what = "peaks " + shape(n, c, h, w) + " win " + std::to_string(win);
  std::vector<float> thresholds;
  if (given_thresholds) thresholds = rng.floats(n * c, -0.5, 0.5);
  const float *thr = given_thresholds ? thresholds.data() : nullptr;
  std::vector<float> used;
  const auto expected = ref::peaks(maps, n, c, h, w, win, thr, used);
  const int64_t capacity = static_cast<int64_t>(expected.size()) + 3;
  std::vector<int32_t> peaks(static_cast<size_t>(capacity * 4), -7);
  std::vector<float> values(static_cast<size_t>(capacity)), agg(n * c), medians(n * c);
  std::vector<int32_t> counts(n * c);
  int64_t total = -1;
  int32_t rc = ws_peak_find(maps.data(), n, c, h, w, win, thr, capacity, peaks.data(),
                            values.data(), &total, agg.data(), counts.data(), medians.data(),
                            nullptr);
  if (!check(rc == WS_OK, what + " status: " + ws_last_error())) return;
  if (!check(total == static_cast<int64_t>(expected.size()),
             what + " count " + std::to_string(total) + " vs " + std::to_string(expected.size())))
    return;
  std::vector<double> sums(n * c, 0.0);
  std::vector<int32_t> per_map(n * c, 0);
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto &e = expected[i];
    const int32_t *got = peaks.data() + 4 * i;
    check(got[0] == e.n && got[1] == e.c && got[2] == e.y && got[3] == e.x && values[i] == e.value,
          what + " peak " + std::to_string(i));
    sums[e.n * c + e.c] += e.value;
    per_map[e.n * c + e.c] += 1;
  }
  check(peaks[4 * expected.size()] == -7, what + " wrote past count");
  for (int64_t m = 0; m < n * c; ++m) {
    check(counts[m] == per_map[m], what + " peak_counts");
    const double mean = per_map[m] ? sums[m] / per_map[m] : 0.0;
    check(close(agg[m], mean, 1e-6, 1e-6), what + " aggregation");
    if (h * w > 0) check(medians[m] == used[m], what + " median");
  }
  // A short buffer: only the first `capacity` peaks are written, the count is still the total.
  if (expected.size() >= 2) {
    const int64_t short_capacity = static_cast<int64_t>(expected.size()) / 2;
    std::vector<int32_t> few(static_cast<size_t>(capacity * 4), -7);
    std::vector<float> few_values(static_cast<size_t>(capacity));
    rc = ws_peak_find(maps.data(), n, c, h, w, win, thr, short_capacity, few.data(),
                      few_values.data(), &total, nullptr, nullptr, nullptr, nullptr);
    check(rc == WS_OK && total == static_cast<int64_t>(expected.size()), what + " short count");
    check(std::equal(few.begin(), few.begin() + 4 * short_capacity, peaks.begin()) &&
              few[4 * short_capacity] == -7,
          what + " short buffer");
  }
}

void test_peaks(test::Random &rng) {
  for (int win : {1, 3, 5}) {
    run_peaks(rng, 1, 1, 1, 1, win, {0.5f}, false);
    run_peaks(rng, 2, 3, 5, 7, win, rng.floats(2 * 3 * 5 * 7, -1, 1), false);
    run_peaks(rng, 1, 2, 16, 16, win, rng.levels(2 * 16 * 16, 3), false);  // ties
    run_peaks(rng, 2, 4, 9, 1, win, rng.levels(2 * 4 * 9, 2), true);
    run_peaks(rng, 2, 20, 37, 41, win, rng.floats(2 * 20 * 37 * 41, -1, 1), win == 5);
  }
  run_peaks(rng, 3, 4, 64, 48, 3, rng.levels(3 * 4 * 64 * 48, 1), false);
  run_peaks(rng, 0, 3, 4, 4, 3, {}, false);
  // -inf pixels: never peaks for win > 1 (the first element of the padded window ties with them).
  auto with_inf = rng.levels(2 * 3 * 8 * 9, 2);
  for (size_t i = 0; i < with_inf.size(); ++i)
    if (with_inf[i] == 0.f || i % 7 == 0) with_inf[i] = -std::numeric_limits<float>::infinity();
  run_peaks(rng, 2, 3, 8, 9, 3, with_inf, false);
  run_peaks(rng, 2, 3, 8, 9, 5, with_inf, true);
  run_peaks(rng, 2, 3, 8, 9, 3, std::vector<float>(2 * 3 * 8 * 9, -std::numeric_limits<float>::infinity()), false);
  run_peaks(rng, 2, 2, 0, 4, 3, {}, false);
  // A constant map has exactly one peak, at (0, 0).
  std::vector<float> flat(6 * 5, 2.5f);
  std::vector<float> used;
  auto expected = ref::peaks(flat, 1, 1, 6, 5, 3, nullptr, used);
  check(expected.size() == 1 && expected[0].y == 0 && expected[0].x == 0, "reference plateau");
  run_peaks(rng, 1, 1, 6, 5, 3, flat, false);
  // Even pixel count: torch.median is the lower middle value.
  std::vector<float> four = {4, 1, 3, 2};
  float median = 0;
  int64_t total = 0;
  ws_peak_find(four.data(), 1, 1, 2, 2, 3, nullptr, 0, nullptr, nullptr, &total, nullptr,
               nullptr, &median, nullptr);
  check(median == 2.f, "lower median");
}

void run_proposals(test::Random &rng, int64_t p, int64_t h, int64_t w, int64_t k, int r) {
  const std::string what = "proposals p" + std::to_string(p) + " " + std::to_string(h) + "x" +
                           std::to_string(w) + " k" + std::to_string(k) + " r" + std::to_string(r);
  const auto masks = test::random_masks(rng, p, h, w);
  const auto packed = test::pack_masks(masks, p, h, w);
  const auto maps = rng.floats(k * h * w, -1, 2);
  const auto thresholds = rng.floats(k, -0.5, 1.5);
  std::vector<int32_t> points(static_cast<size_t>(2 * k));
  for (int64_t j = 0; j < k; ++j) {
    points[2 * j] = static_cast<int32_t>(rng.integer(-1, h));
    points[2 * j + 1] = static_cast<int32_t>(rng.integer(-1, w));
  }
  const auto e = ref::proposal_scores(masks, p, h, w, maps, k, thresholds, points, r);
  std::vector<float> inside(k * p, -1), boundary(k * p, -1);
  std::vector<int64_t> inter(k * p, -1), uni(k * p, -1), area(p, -1);
  std::vector<uint8_t> contains(k * p, 9);
  const int32_t rc = ws_proposal_score(packed.data(), p, h, w, maps.data(), k, thresholds.data(),
                                       points.data(), r, inside.data(), inter.data(), uni.data(),
                                       boundary.data(), contains.data(), area.data(), nullptr);
  if (!check(rc == WS_OK, what + " status: " + ws_last_error())) return;
  for (int64_t q = 0; q < p; ++q) check(area[q] == e.area[q], what + " area");
  for (int64_t i = 0; i < k * p; ++i) {
    check(close(inside[i], e.inside[i], 1e-5, 1e-4), what + " sum_inside " + std::to_string(i));
    check(close(boundary[i], e.boundary[i], 1e-5, 1e-4),
          what + " sum_boundary " + std::to_string(i) + ": " + std::to_string(boundary[i]) +
              " vs " + std::to_string(e.boundary[i]));
    check(inter[i] == e.inter[i], what + " inter");
    check(uni[i] == e.uni[i], what + " uni");
    check(contains[i] == e.contains[i], what + " contains");
  }
  // Only the area wanted: everything else may be NULL.
  std::vector<int64_t> area_only(p, -1);
  check(ws_proposal_score(packed.data(), p, h, w, nullptr, k, nullptr, nullptr, r, nullptr,
                          nullptr, nullptr, nullptr, nullptr, area_only.data(), nullptr) == WS_OK &&
            area_only == e.area,
        what + " area only");
}

void test_proposals(test::Random &rng) {
  const int64_t sizes[][2] = {{1, 1}, {5, 1}, {7, 63}, {9, 64}, {11, 65}, {13, 130}, {40, 200}};
  for (auto &s : sizes)
    for (int r : {0, 1, 2, 3}) run_proposals(rng, 7, s[0], s[1], 3, r);
  run_proposals(rng, 6, 13, 130, 2, 70);  // shifts across whole words
  run_proposals(rng, 0, 10, 10, 3, 2);
  run_proposals(rng, 5, 10, 10, 0, 2);
  run_proposals(rng, 5, 0, 10, 2, 2);
  run_proposals(rng, 23, 31, 97, 5, 2);
  run_proposals(rng, 9, 12, 70, 40, 2);  // more maps than one table block
}

void run_roi_align(test::Random &rng, const ref::RoiAlignParams &a, int64_t r, bool backward) {
  const std::string what = "roi_align " + shape(a.n, a.c, a.h, a.w) + " r" + std::to_string(r) +
                           " pooled " + std::to_string(a.pooled_h) + "x" +
                           std::to_string(a.pooled_w) + " sr" + std::to_string(a.sampling_ratio) +
                           (a.aligned ? " aligned" : " legacy");
  const auto input = rng.floats(a.n * a.c * a.h * a.w, -1, 1);
  const std::vector<double> input_d(input.begin(), input.end());
  const auto rois = test::random_rois(rng, r, a.n, a.h / a.scale, a.w / a.scale);
  const auto expected = ref::roi_align(input_d, rois, r, a);
  std::vector<float> out(expected.size(), 1e30f);
  int32_t rc = ws_roi_align_forward(input.data(), a.n, a.c, a.h, a.w, rois.data(), r, a.pooled_h,
                                    a.pooled_w, static_cast<float>(a.scale), a.sampling_ratio,
                                    a.aligned, out.data(), nullptr);
  if (!check(rc == WS_OK, what + " status: " + ws_last_error())) return;
  for (size_t i = 0; i < out.size(); ++i)
    check(close(out[i], expected[i], 1e-4, 1e-5),
          what + " output " + std::to_string(i) + ": " + std::to_string(out[i]) + " vs " +
              std::to_string(expected[i]));
  if (!backward) return;
  // The forward is linear in the input, so a central difference with step 1 is exact.
  const auto grad_out = rng.floats(static_cast<int64_t>(expected.size()), -1, 1);
  auto loss = [&](const std::vector<double> &x) {
    const auto y = ref::roi_align(x, rois, r, a);
    double l = 0;
    for (size_t i = 0; i < y.size(); ++i) l += grad_out[i] * y[i];
    return l;
  };
  const auto base = rng.floats(static_cast<int64_t>(input.size()), -1, 1);  // accumulated into
  std::vector<float> grad_in = base;
  rc = ws_roi_align_backward(grad_out.data(), rois.data(), r, a.n, a.c, a.h, a.w, a.pooled_h,
                             a.pooled_w, static_cast<float>(a.scale), a.sampling_ratio, a.aligned,
                             grad_in.data(), nullptr);
  if (!check(rc == WS_OK, what + " backward status: " + ws_last_error())) return;
  std::vector<double> x = input_d;
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = input_d[i] + 1;
    const double up = loss(x);
    x[i] = input_d[i] - 1;
    const double down = loss(x);
    x[i] = input_d[i];
    check(close(grad_in[i] - base[i], (up - down) / 2, 1e-4, 1e-4),
          what + " grad_input " + std::to_string(i));
  }
}

void test_roi_align(test::Random &rng) {
  for (bool aligned : {false, true})
    for (int sr : {0, 2, 3}) {
      // few RoIs: the direct path
      run_roi_align(rng, {2, 3, 6, 7, 3, 2, 0.5, sr, aligned}, 12, true);
      run_roi_align(rng, {1, 1, 1, 1, 2, 2, 1.0, sr, aligned}, 6, true);
      run_roi_align(rng, {2, 5, 40, 50, 7, 7, 0.25, sr, aligned}, 3, false);
      // many RoIs and >= 8 channels: the transposed, channel-blocked path (8, 16, 32 blocks)
      run_roi_align(rng, {2, 13, 20, 24, 7, 7, 0.25, sr, aligned}, 60, false);
      run_roi_align(rng, {1, 21, 9, 11, 3, 3, 1.0, sr, aligned}, 40, sr == 2);
      run_roi_align(rng, {2, 37, 12, 10, 5, 4, 0.5, sr, aligned}, 50, false);
    }
  run_roi_align(rng, {2, 3, 6, 7, 7, 7, 0.5, 2, false}, 0, true);  // no RoIs
  run_roi_align(rng, {2, 0, 6, 7, 7, 7, 0.5, 2, false}, 4, true);  // no channels
  // A batch index outside [0, N) is an argument error, not a crash.
  std::vector<float> input(2 * 3 * 4, 0.f), out(4, 0.f);
  const float bad[5] = {2, 0, 0, 1, 1};
  check(ws_roi_align_forward(input.data(), 2, 1, 3, 4, bad, 1, 2, 2, 1.f, 2, 0, out.data(),
                             nullptr) == WS_ERR_ARGUMENT &&
            std::strlen(ws_last_error()) > 0,
        "roi_align bad batch index");
}

void test_fpn(test::Random &rng) {
  const int64_t r = 2000;
  std::vector<float> rois(r * 5);
  for (int64_t i = 0; i < r; ++i) {
    const double side = std::exp(rng.uniform(std::log(1.0), std::log(2000.0)));
    const double aspect = std::exp(rng.uniform(-1, 1));
    float *roi = rois.data() + i * 5;
    roi[0] = 0;
    roi[1] = static_cast<float>(rng.uniform(0, 100));
    roi[2] = static_cast<float>(rng.uniform(0, 100));
    roi[3] = static_cast<float>(roi[1] + side * aspect);
    roi[4] = static_cast<float>(roi[2] + side / aspect);
    if (i == 0) roi[3] = roi[1];  // zero area: lowest level
  }
  std::vector<int32_t> levels(r, -1);
  if (!check(ws_fpn_level_assign(rois.data(), r, 2, 5, 224.f, 4, 1e-6f, levels.data(), nullptr) ==
                 WS_OK,
             "fpn status"))
    return;
  for (int64_t i = 0; i < r; ++i) {
    const double exact = ref::fpn_level_exact(rois.data() + i * 5, 224.0, 4);
    if (std::fabs(exact - std::round(exact)) < 1e-4) continue;  // float vs double may differ
    const int expected = static_cast<int>(std::min(5.0, std::max(2.0, std::floor(exact)))) - 2;
    check(levels[i] == expected, "fpn level " + std::to_string(i));
  }
  check(levels[0] == 0, "fpn zero area");
}

}  // namespace

int main() {
  test_library();
  for (int threads : {1, 2, 3}) {
    ws_set_num_threads(threads);
    test::Random rng(1234 + threads);
    test_peaks(rng);
    test_proposals(rng);
    test_roi_align(rng);
    test_fpn(rng);
  }
  if (test::failures()) {
    std::fprintf(stderr, "%d check(s) failed\n", test::failures());
    return 1;
  }
  std::printf("test_cpu_kernels: all checks passed\n");
  return 0;
}
