// The CUDA kernels against the CPU library on random inputs and edge cases. Both libraries
// export the same symbols, so each is dlopen'ed and its functions looked up by name. Exits 77
// (ctest: skipped) when no CUDA device answers.
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "test_util.h"
#include "wiseseg_kernels.h"

using test::check;
using test::close;

namespace {

#define WS_FUNCTIONS(X)                                                                       \
  X(ws_backend_name) X(ws_cpu_isa) X(ws_last_error) X(ws_device_count) X(ws_device_name) X(ws_set_device)  \
  X(ws_synchronize) X(ws_peak_find) X(ws_proposal_score) X(ws_roi_align_forward)            \
  X(ws_roi_align_backward) X(ws_fpn_level_assign) X(ws_nms) X(ws_batched_nms)

struct Library {
#define WS_MEMBER(name) decltype(&::name) name = nullptr;
  WS_FUNCTIONS(WS_MEMBER)
#undef WS_MEMBER

  explicit Library(const char *path) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      std::fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
      std::exit(1);
    }
#define WS_LOOKUP(fn)                                                         \
  fn = reinterpret_cast<decltype(fn)>(dlsym(handle, #fn));                    \
  if (!fn) {                                                                  \
    std::fprintf(stderr, "%s lacks %s\n", path, #fn);                         \
    std::exit(1);                                                             \
  }
    WS_FUNCTIONS(WS_LOOKUP)
#undef WS_LOOKUP
  }
};

// Device copy of a host vector, freed with the object.
template <class T>
struct Device {
  T *ptr = nullptr;
  size_t count;
  explicit Device(const std::vector<T> &host) : count(host.size()) {
    if (count) {
      cudaMalloc(reinterpret_cast<void **>(&ptr), sizeof(T) * count);
      cudaMemcpy(ptr, host.data(), sizeof(T) * count, cudaMemcpyHostToDevice);
    }
  }
  explicit Device(size_t n, T fill) : Device(std::vector<T>(n, fill)) {}
  ~Device() { cudaFree(ptr); }
  std::vector<T> host() const {
    std::vector<T> out(count);
    if (count) cudaMemcpy(out.data(), ptr, sizeof(T) * count, cudaMemcpyDeviceToHost);
    return out;
  }
};

template <class T>
const T *or_null(const std::vector<T> &v) { return v.empty() ? nullptr : v.data(); }

Library *cpu, *gpu;

void expect_ok(int32_t rc_cpu, int32_t rc_gpu, const std::string &what) {
  check(rc_cpu == WS_OK, what + " cpu status: " + cpu->ws_last_error());
  check(rc_gpu == WS_OK, what + " cuda status: " + gpu->ws_last_error());
}

void compare_peaks(test::Random &rng, int64_t n, int64_t c, int64_t h, int64_t w, int win,
                   const std::vector<float> &maps, bool given) {
  const std::string what = "peaks " + std::to_string(n) + "x" + std::to_string(c) + "x" +
                           std::to_string(h) + "x" + std::to_string(w) + " win " + std::to_string(win);
  const auto thresholds = rng.floats(n * c, -0.5, 0.5);
  const int64_t capacity = n * c * h * w + 1;
  std::vector<int32_t> peaks(capacity * 4, -1), counts(n * c, -1);
  std::vector<float> values(capacity, -1), agg(n * c, -1), medians(n * c, -1);
  int64_t count_cpu = -1, count_gpu = -1;
  const int32_t rc_cpu = cpu->ws_peak_find(maps.data(), n, c, h, w, win,
                                           given ? thresholds.data() : nullptr, capacity,
                                           peaks.data(), values.data(), &count_cpu, agg.data(),
                                           counts.data(), medians.data(), nullptr);
  Device<float> d_maps(maps), d_thr(thresholds), d_values(capacity, -1), d_agg(n * c, -1),
      d_medians(n * c, -1);
  Device<int32_t> d_peaks(capacity * 4, -1), d_counts(n * c, -1);
  const int32_t rc_gpu = gpu->ws_peak_find(d_maps.ptr, n, c, h, w, win, given ? d_thr.ptr : nullptr,
                                           capacity, d_peaks.ptr, d_values.ptr, &count_gpu,
                                           d_agg.ptr, d_counts.ptr, d_medians.ptr, nullptr);
  expect_ok(rc_cpu, rc_gpu, what);
  check(count_cpu == count_gpu, what + " count");
  check(d_peaks.host() == peaks, what + " peak list");
  check(d_values.host() == values, what + " values");
  check(d_counts.host() == counts, what + " peak counts");
  check(d_medians.host() == medians, what + " medians");
  const auto g_agg = d_agg.host();
  for (int64_t m = 0; m < n * c; ++m) check(close(g_agg[m], agg[m], 1e-6, 1e-7), what + " aggregation");
  // A short buffer on the GPU: the total count, the first peaks only.
  if (count_cpu >= 2) {
    const int64_t short_capacity = count_cpu / 2;
    Device<int32_t> few(capacity * 4, -1);
    gpu->ws_peak_find(d_maps.ptr, n, c, h, w, win, given ? d_thr.ptr : nullptr, short_capacity,
                      few.ptr, d_values.ptr, &count_gpu, nullptr, nullptr, nullptr, nullptr);
    const auto got = few.host();
    check(count_gpu == count_cpu && std::equal(got.begin(), got.begin() + 4 * short_capacity, peaks.begin()) &&
              got[4 * short_capacity] == -1,
          what + " short buffer");
  }
}

void test_peaks(test::Random &rng) {
  for (int win : {1, 3, 5}) {
    compare_peaks(rng, 1, 1, 1, 1, win, {0.5f}, false);
    compare_peaks(rng, 2, 3, 5, 7, win, rng.floats(2 * 3 * 5 * 7, -1, 1), false);
    compare_peaks(rng, 1, 2, 16, 16, win, rng.levels(2 * 16 * 16, 3), false);
    compare_peaks(rng, 2, 4, 9, 1, win, rng.levels(2 * 4 * 9, 2), true);
    compare_peaks(rng, 2, 20, 37, 41, win, rng.floats(2 * 20 * 37 * 41, -1, 1), win == 5);
  }
  compare_peaks(rng, 16, 20, 112, 112, 3, rng.floats(16 * 20 * 112 * 112, -1, 1), false);
  compare_peaks(rng, 1, 1, 6, 5, 3, std::vector<float>(30, 2.5f), false);
  compare_peaks(rng, 0, 3, 4, 4, 3, {}, false);
  // -inf pixels: never peaks for win > 1 (the first element of the padded window ties with them).
  auto with_inf = rng.levels(2 * 3 * 8 * 9, 2);
  for (size_t i = 0; i < with_inf.size(); ++i)
    if (with_inf[i] == 0.f || i % 7 == 0) with_inf[i] = -std::numeric_limits<float>::infinity();
  compare_peaks(rng, 2, 3, 8, 9, 3, with_inf, false);
  compare_peaks(rng, 2, 3, 8, 9, 5, with_inf, true);
  compare_peaks(rng, 2, 3, 8, 9, 3, std::vector<float>(2 * 3 * 8 * 9, -std::numeric_limits<float>::infinity()), false);
  compare_peaks(rng, 2, 2, 0, 4, 3, {}, true);
}

void compare_proposals(test::Random &rng, int64_t p, int64_t h, int64_t w, int64_t k, int r) {
  const std::string what = "proposals p" + std::to_string(p) + " " + std::to_string(h) + "x" +
                           std::to_string(w) + " k" + std::to_string(k) + " r" + std::to_string(r);
  const auto packed = test::pack_masks(test::random_masks(rng, p, h, w), p, h, w);
  const auto maps = rng.floats(k * h * w, -1, 2);
  const auto thresholds = rng.floats(k, -0.5, 1.5);
  std::vector<int32_t> points(2 * k);
  for (int64_t j = 0; j < k; ++j) {
    points[2 * j] = static_cast<int32_t>(rng.integer(-1, h));
    points[2 * j + 1] = static_cast<int32_t>(rng.integer(-1, w));
  }
  std::vector<float> inside(k * p, -1), boundary(k * p, -1);
  std::vector<int64_t> inter(k * p, -1), uni(k * p, -1), area(p, -1);
  std::vector<uint8_t> contains(k * p, 9);
  const int32_t rc_cpu = cpu->ws_proposal_score(
      or_null(packed), p, h, w, or_null(maps), k, thresholds.data(), points.data(), r,
      inside.data(), inter.data(), uni.data(), boundary.data(), contains.data(), area.data(), nullptr);
  Device<uint64_t> d_masks(packed);
  Device<float> d_maps(maps), d_thr(thresholds), d_inside(k * p, -1), d_boundary(k * p, -1);
  Device<int32_t> d_points(points);
  Device<int64_t> d_inter(k * p, -1), d_uni(k * p, -1), d_area(p, -1);
  Device<uint8_t> d_contains(k * p, 9);
  const int32_t rc_gpu = gpu->ws_proposal_score(
      d_masks.ptr, p, h, w, d_maps.ptr, k, d_thr.ptr, d_points.ptr, r, d_inside.ptr, d_inter.ptr,
      d_uni.ptr, d_boundary.ptr, d_contains.ptr, d_area.ptr, nullptr);
  gpu->ws_synchronize(nullptr);
  expect_ok(rc_cpu, rc_gpu, what);
  check(d_area.host() == area, what + " area");
  check(d_inter.host() == inter, what + " inter");
  check(d_uni.host() == uni, what + " uni");
  check(d_contains.host() == contains, what + " contains");
  const auto g_inside = d_inside.host(), g_boundary = d_boundary.host();
  for (int64_t i = 0; i < k * p; ++i) {
    check(close(g_inside[i], inside[i], 1e-5, 1e-4), what + " sum_inside");
    check(close(g_boundary[i], boundary[i], 1e-5, 1e-4), what + " sum_boundary");
  }
}

void test_proposals(test::Random &rng) {
  const int64_t sizes[][2] = {{1, 1}, {5, 1}, {7, 63}, {9, 64}, {11, 65}, {13, 130}, {40, 200}};
  for (auto &s : sizes)
    for (int r : {0, 1, 2, 3}) compare_proposals(rng, 7, s[0], s[1], 3, r);
  compare_proposals(rng, 6, 13, 130, 2, 70);
  compare_proposals(rng, 0, 10, 10, 3, 2);
  compare_proposals(rng, 5, 10, 10, 0, 2);
  compare_proposals(rng, 5, 0, 10, 2, 2);
  compare_proposals(rng, 100, 375, 500, 20, 2);
  compare_proposals(rng, 9, 12, 70, 40, 2);
}

void compare_roi_align(test::Random &rng, int64_t n, int64_t c, int64_t h, int64_t w, int64_t r,
                       int ph, int pw, float scale, int sr, int aligned) {
  const std::string what = "roi_align " + std::to_string(n) + "x" + std::to_string(c) + "x" +
                           std::to_string(h) + "x" + std::to_string(w) + " r" + std::to_string(r) +
                           " sr" + std::to_string(sr) + (aligned ? " aligned" : " legacy");
  const auto input = rng.floats(n * c * h * w, -1, 1);
  const auto rois = test::random_rois(rng, r, n, h / scale, w / scale);
  const int64_t out_size = r * c * ph * pw;
  std::vector<float> out(out_size, -9);
  const int32_t rc_cpu = cpu->ws_roi_align_forward(input.data(), n, c, h, w, rois.data(), r, ph, pw,
                                                   scale, sr, aligned, out.data(), nullptr);
  Device<float> d_input(input), d_rois(rois), d_out(out_size, -9);
  const int32_t rc_gpu = gpu->ws_roi_align_forward(d_input.ptr, n, c, h, w, d_rois.ptr, r, ph, pw,
                                                   scale, sr, aligned, d_out.ptr, nullptr);
  expect_ok(rc_cpu, rc_gpu, what + " forward");
  const auto g_out = d_out.host();
  for (int64_t i = 0; i < out_size; ++i) check(close(g_out[i], out[i], 1e-5, 1e-6), what + " forward");

  const auto grad_out = rng.floats(out_size, -1, 1);
  const auto base = rng.floats(n * c * h * w, -1, 1);
  std::vector<float> grad_in = base;
  const int32_t rb_cpu = cpu->ws_roi_align_backward(grad_out.data(), rois.data(), r, n, c, h, w, ph,
                                                    pw, scale, sr, aligned, grad_in.data(), nullptr);
  Device<float> d_grad_out(grad_out), d_grad_in(base);
  const int32_t rb_gpu = gpu->ws_roi_align_backward(d_grad_out.ptr, d_rois.ptr, r, n, c, h, w, ph,
                                                    pw, scale, sr, aligned, d_grad_in.ptr, nullptr);
  expect_ok(rb_cpu, rb_gpu, what + " backward");
  const auto g_grad = d_grad_in.host();
  for (size_t i = 0; i < g_grad.size(); ++i)
    check(close(g_grad[i], grad_in[i], 1e-4, 1e-5), what + " backward");

  std::vector<int32_t> levels(r, -1);
  Device<int32_t> d_levels(r, -1);
  expect_ok(cpu->ws_fpn_level_assign(rois.data(), r, 2, 5, 224.f / scale / 8, 4, 1e-6f, levels.data(), nullptr),
            gpu->ws_fpn_level_assign(d_rois.ptr, r, 2, 5, 224.f / scale / 8, 4, 1e-6f, d_levels.ptr, nullptr),
            what + " fpn");
  check(d_levels.host() == levels, what + " fpn levels");
}

void test_roi_align(test::Random &rng) {
  for (int aligned : {0, 1})
    for (int sr : {0, 2, 3}) {
      compare_roi_align(rng, 2, 3, 6, 7, 12, 3, 2, 0.5f, sr, aligned);
      compare_roi_align(rng, 1, 1, 1, 1, 6, 2, 2, 1.f, sr, aligned);
      compare_roi_align(rng, 2, 13, 20, 24, 60, 7, 7, 0.25f, sr, aligned);
      compare_roi_align(rng, 2, 37, 12, 10, 50, 5, 4, 0.5f, sr, aligned);
    }
  compare_roi_align(rng, 1, 256, 200, 272, 1000, 7, 7, 0.25f, 2, 0);
  compare_roi_align(rng, 2, 3, 6, 7, 0, 7, 7, 0.5f, 2, 0);
  compare_roi_align(rng, 2, 0, 6, 7, 4, 7, 7, 0.5f, 2, 0);
  Device<float> input(std::vector<float>(24, 0.f)), out(4, 0.f);
  Device<float> bad(std::vector<float>{2, 0, 0, 1, 1});
  check(gpu->ws_roi_align_forward(input.ptr, 2, 1, 3, 4, bad.ptr, 1, 2, 2, 1.f, 2, 0, out.ptr,
                                  nullptr) == WS_ERR_ARGUMENT,
        "cuda roi_align bad batch index");
}

void compare_nms(test::Random &rng, int64_t n, int groups, int score_levels, float threshold) {
  const std::string what = "nms n" + std::to_string(n) + " g" + std::to_string(groups) + " t" +
                           std::to_string(threshold);
  std::vector<float> boxes(4 * n);
  for (int64_t i = 0; i < n; ++i) {  // clustered, so that many overlap
    const float x = static_cast<float>(rng.uniform(0, 60)), y = static_cast<float>(rng.uniform(0, 60));
    boxes[4 * i] = x;
    boxes[4 * i + 1] = y;
    boxes[4 * i + 2] = x + static_cast<float>(rng.uniform(1, 30));
    boxes[4 * i + 3] = y + static_cast<float>(rng.uniform(1, 30));
  }
  // score_levels > 0: quantised scores, many ties (the stable order must break them alike)
  const auto scores = score_levels > 0 ? rng.levels(n, score_levels) : rng.floats(n, 0, 1);
  std::vector<int64_t> group(n);
  for (auto &g : group) g = rng.integer(0, groups - 1);
  for (int batched : {0, 1}) {
    std::vector<int64_t> keep(n, -1);
    int64_t kept_cpu = -1, kept_gpu = -1;
    Device<float> d_boxes(boxes), d_scores(scores);
    Device<int64_t> d_group(group), d_keep(static_cast<size_t>(n), -1);
    const int32_t rc_cpu = batched
        ? cpu->ws_batched_nms(or_null(boxes), or_null(scores), or_null(group), n, threshold, keep.empty() ? nullptr : keep.data(), &kept_cpu, nullptr)
        : cpu->ws_nms(or_null(boxes), or_null(scores), n, threshold, keep.empty() ? nullptr : keep.data(), &kept_cpu, nullptr);
    const int32_t rc_gpu = batched
        ? gpu->ws_batched_nms(d_boxes.ptr, d_scores.ptr, d_group.ptr, n, threshold, d_keep.ptr, &kept_gpu, nullptr)
        : gpu->ws_nms(d_boxes.ptr, d_scores.ptr, n, threshold, d_keep.ptr, &kept_gpu, nullptr);
    expect_ok(rc_cpu, rc_gpu, what + (batched ? " batched" : ""));
    check(kept_cpu == kept_gpu, what + (batched ? " batched" : "") + " kept count");
    const auto g_keep = d_keep.host();
    check(std::equal(keep.begin(), keep.begin() + std::max<int64_t>(kept_cpu, 0), g_keep.begin()),
          what + (batched ? " batched" : "") + " kept indices");
  }
}

void test_nms(test::Random &rng) {
  for (float t : {0.3f, 0.5f, 0.7f}) {
    compare_nms(rng, 1, 1, 0, t);
    compare_nms(rng, 63, 2, 0, t);
    compare_nms(rng, 64, 3, 4, t);
    compare_nms(rng, 65, 1, 0, t);
    compare_nms(rng, 1000, 5, 0, t);
    compare_nms(rng, 2500, 4, 10, t);
  }
  compare_nms(rng, 0, 1, 0, 0.5f);
}

}  // namespace

int main() {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("SKIP: no CUDA device\n");
    return 77;
  }
  Library cpu_lib(WISESEG_CPU_LIBRARY), gpu_lib(WISESEG_CUDA_LIBRARY);
  cpu = &cpu_lib;
  gpu = &gpu_lib;
  check(std::strcmp(gpu->ws_backend_name(), "cuda") == 0, "backend name");
  int32_t count = 0;
  check(gpu->ws_device_count(&count) == WS_OK && count == devices, "device count");
  char name[256] = {};
  check(gpu->ws_device_name(0, name, sizeof name) == WS_OK && name[0], "device name");
  std::printf("device 0: %s\n", name);
  check(gpu->ws_set_device(0) == WS_OK, "set_device(0)");
  test::Random rng(99);
  test_peaks(rng);
  test_proposals(rng);
  test_roi_align(rng);
  test_nms(rng);
  if (test::failures()) {
    std::fprintf(stderr, "%d check(s) failed\n", test::failures());
    return 1;
  }
  std::printf("test_cuda_vs_cpu: all checks passed\n");
  return 0;
}
