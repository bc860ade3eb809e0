// RoIAlign forward (torchvision semantics). Two strategies, same arithmetic and operation order
// as torchvision (so results agree bit for bit):
//  - direct: per (RoI, channel), taps read straight from the NCHW planes; cheap for few RoIs;
//  - blocked: per (image, block of channels), the block is first transposed to pixel-major
//    (H*W x block) so every bilinear tap reads one contiguous run of channels and the channel
//    loop vectorises; pays off when the RoIs sample far more points than the map has pixels.
#include <algorithm>
#include <vector>

#include "channel_blocks.h"
#include "multiversion.h"
#include "parallel.h"
#include "roi_align_plan.h"
#include "status.h"

namespace ws {
namespace {

struct Geometry {
  int64_t n, c, h, w;
  int32_t pooled_h, pooled_w;
};

void forward_direct(const float *input, const Geometry &g, const std::vector<RoiPlan> &plans,
                    float *output) {
  const int64_t bins = int64_t{g.pooled_h} * g.pooled_w;
  const int64_t tasks = static_cast<int64_t>(plans.size()) * g.c;
  parallel_for(tasks, std::max<int64_t>(1, 4096 / std::max<int64_t>(bins, 1)),
               [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) {
      const RoiPlan &plan = plans[t / g.c];
      const int64_t ch = t % g.c;
      const float *plane = input + (plan.batch * g.c + ch) * g.h * g.w;
      float *out = output + t * bins;
      for (int32_t ph = 0; ph < g.pooled_h; ++ph)
        for (int32_t pw = 0; pw < g.pooled_w; ++pw) {
          float acc = 0.f;
          for (int32_t iy = 0; iy < plan.grid_h; ++iy) {
            const AxisTap &ty = plan.ys[ph * plan.grid_h + iy];
            for (int32_t ix = 0; ix < plan.grid_w; ++ix) {
              const AxisTap &tx = plan.xs[pw * plan.grid_w + ix];
              if (!ty.valid || !tx.valid) continue;  // torchvision adds an exact 0 here
              const float w1 = ty.w_low * tx.w_low, w2 = ty.w_low * tx.w_high;
              const float w3 = ty.w_high * tx.w_low, w4 = ty.w_high * tx.w_high;
              const float *lo = plane + int64_t{ty.low} * g.w;
              const float *hi = plane + int64_t{ty.high} * g.w;
              acc += w1 * lo[tx.low] + w2 * lo[tx.high] + w3 * hi[tx.low] + w4 * hi[tx.high];
            }
          }
          out[ph * g.pooled_w + pw] = acc / plan.count;
        }
    }
  });
}

std::vector<float> &thread_pooled() {
  thread_local std::vector<float> pooled;
  return pooled;
}

// Pools one RoI from a transposed channel block; the j loop is the vectorised one.
template <int CB>
WS_ALWAYS_INLINE void pool_block_body(const float *block, const Geometry &g, const RoiPlan &plan,
                                      int64_t roi, int64_t c0, float *output) {
  const int64_t bins = int64_t{g.pooled_h} * g.pooled_w;
  const int channels = static_cast<int>(std::min<int64_t>(CB, g.c - c0));
  float acc[CB];
  std::vector<float> &pooled = thread_pooled();  // bin-major results, stored channel by channel
  pooled.resize(static_cast<size_t>(bins * CB));
  for (int32_t ph = 0; ph < g.pooled_h; ++ph)
    for (int32_t pw = 0; pw < g.pooled_w; ++pw) {
      for (int j = 0; j < CB; ++j) acc[j] = 0.f;
      for (int32_t iy = 0; iy < plan.grid_h; ++iy) {
        const AxisTap &ty = plan.ys[ph * plan.grid_h + iy];
        if (!ty.valid) continue;
        for (int32_t ix = 0; ix < plan.grid_w; ++ix) {
          const AxisTap &tx = plan.xs[pw * plan.grid_w + ix];
          if (!tx.valid) continue;
          const float w1 = ty.w_low * tx.w_low, w2 = ty.w_low * tx.w_high;
          const float w3 = ty.w_high * tx.w_low, w4 = ty.w_high * tx.w_high;
          const float *p1 = block + (int64_t{ty.low} * g.w + tx.low) * CB;
          const float *p2 = block + (int64_t{ty.low} * g.w + tx.high) * CB;
          const float *p3 = block + (int64_t{ty.high} * g.w + tx.low) * CB;
          const float *p4 = block + (int64_t{ty.high} * g.w + tx.high) * CB;
          for (int j = 0; j < CB; ++j)
            acc[j] += w1 * p1[j] + w2 * p2[j] + w3 * p3[j] + w4 * p4[j];
        }
      }
      float *out = pooled.data() + (int64_t{ph} * g.pooled_w + pw) * CB;
      for (int j = 0; j < CB; ++j) out[j] = acc[j] / plan.count;
    }
  for (int j = 0; j < channels; ++j) {
    float *out = output + (roi * g.c + c0 + j) * bins;
    for (int64_t bin = 0; bin < bins; ++bin) out[bin] = pooled[bin * CB + j];
  }
}

template <int CB>
WS_TARGET_AVX2 void pool_block_avx2(const float *block, const Geometry &g, const RoiPlan &plan,
                                    int64_t roi, int64_t c0, float *output) {
  pool_block_body<CB>(block, g, plan, roi, c0, output);
}

template <int CB>
void pool_block_default(const float *block, const Geometry &g, const RoiPlan &plan, int64_t roi,
                        int64_t c0, float *output) {
  pool_block_body<CB>(block, g, plan, roi, c0, output);
}

template <int CB>
void pool_block(const float *block, const Geometry &g, const RoiPlan &plan, int64_t roi,
                int64_t c0, float *output) {
  if (active_isa() == CpuIsa::kAvx2) pool_block_avx2<CB>(block, g, plan, roi, c0, output);
  else pool_block_default<CB>(block, g, plan, roi, c0, output);
}

template <int CB>
void forward_blocked(const float *input, const Geometry &g, const std::vector<RoiPlan> &plans,
                     float *output) {
  std::vector<std::vector<int64_t>> rois_of_image(static_cast<size_t>(g.n));
  for (size_t r = 0; r < plans.size(); ++r) rois_of_image[plans[r].batch].push_back(r);
  std::vector<int64_t> images;  // only images that have RoIs
  for (int64_t b = 0; b < g.n; ++b)
    if (!rois_of_image[b].empty()) images.push_back(b);
  const int64_t blocks = (g.c + CB - 1) / CB;
  // With few (image, block) pairs, split each image's RoIs into groups too, so every thread has
  // work; a group re-transposes its block, which is cheap next to the pooling.
  const int64_t pairs = static_cast<int64_t>(images.size()) * blocks;
  const int64_t groups = std::max<int64_t>(1, (2 * num_threads() + pairs - 1) / pairs);
  const int64_t tasks = pairs * groups;
  std::vector<std::vector<float>> scratch(worker_count(tasks, 1));
  parallel_for(tasks, 1, [&](int64_t begin, int64_t end, int worker) {
    std::vector<float> &block = scratch[worker];
    block.resize(static_cast<size_t>(g.h * g.w * CB));
    for (int64_t t = begin; t < end; ++t) {
      const int64_t pair = t / groups, group = t % groups;
      const int64_t b = images[pair / blocks], c0 = (pair % blocks) * CB;
      const std::vector<int64_t> &rois = rois_of_image[b];
      const size_t first = rois.size() * group / groups, last = rois.size() * (group + 1) / groups;
      if (first == last) continue;
      load_block<CB>(input, g.c, g.h * g.w, b, c0, block.data());
      for (size_t i = first; i < last; ++i)
        pool_block<CB>(block.data(), g, plans[rois[i]], rois[i], c0, output);
    }
  });
}

}  // namespace
}  // namespace ws

extern "C" int32_t ws_roi_align_forward(const float *input, int64_t n, int64_t c, int64_t h,
                                        int64_t w, const float *rois, int64_t r,
                                        int32_t pooled_h, int32_t pooled_w,
                                        float spatial_scale, int32_t sampling_ratio,
                                        int32_t aligned, float *output, void *) {
  return ws::guarded("ws_roi_align_forward", [&] {
    using ws::require;
    require(n >= 0 && c >= 0 && h >= 0 && w >= 0 && r >= 0, "negative size");
    require(pooled_h > 0 && pooled_w > 0, "pooled size must be positive");
    require(r == 0 || rois != nullptr, "rois is null");
    const int64_t out_size = r * c * pooled_h * pooled_w;
    require(out_size == 0 || output != nullptr, "output is null");
    for (int64_t i = 0; i < r; ++i)
      require(ws::batch_in_range(rois + i * 5, n), "a RoI's batch_index is outside [0, N)");
    if (out_size == 0) return;
    require(h > 0 && w > 0 && input != nullptr, "input is empty or null");

    std::vector<ws::RoiPlan> plans(static_cast<size_t>(r));
    int64_t samples = 0;
    for (int64_t i = 0; i < r; ++i) {
      plans[i] = ws::plan_roi(rois + i * 5, h, w, pooled_h, pooled_w, spatial_scale,
                              sampling_ratio, aligned != 0);
      samples += int64_t{plans[i].grid_h} * plans[i].grid_w;
    }
    samples *= int64_t{pooled_h} * pooled_w;
    const ws::Geometry g{n, c, h, w, pooled_h, pooled_w};
    // Transposing costs about one pass over the images; worth it once the RoIs sample more.
    if (c >= 8 && samples >= n * h * w) {
      if (c >= 32) ws::forward_blocked<32>(input, g, plans, output);
      else if (c >= 16) ws::forward_blocked<16>(input, g, plans, output);
      else ws::forward_blocked<8>(input, g, plans, output);
    } else {
      ws::forward_direct(input, g, plans, output);
    }
  });
}
