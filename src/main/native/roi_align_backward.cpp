// RoIAlign backward (torchvision semantics): every sample's four bilinear weights x grad / count
// are added into grad_input. Work is split by (image, channel) planes or blocks of channels, so
// no two threads write the same element, and each element receives its additions in
// torchvision's order (RoI, bin, sample), starting from grad_input's current value.
#include <algorithm>
#include <vector>

#include "channel_blocks.h"
#include "multiversion.h"
#include "parallel.h"
#include "roi_align_plan.h"
#include "status.h"

namespace ws {
namespace {

struct Problem {
  const float *grad_output;
  int64_t n, c, h, w;
  int32_t pooled_h, pooled_w;
  std::vector<RoiPlan> plans;
  std::vector<std::vector<int64_t>> rois_of_image;
};

void backward_planes(const Problem &pb, float *grad_input, int64_t grain) {
  const int64_t bins = int64_t{pb.pooled_h} * pb.pooled_w;
  parallel_for(pb.n * pb.c, grain, [&](int64_t begin, int64_t end, int) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t b = plane / pb.c, ch = plane % pb.c;
      float *gin = grad_input + plane * pb.h * pb.w;
      for (int64_t roi : pb.rois_of_image[b]) {
        const RoiPlan &plan = pb.plans[roi];
        const float count = static_cast<float>(plan.grid_h * plan.grid_w);
        const float *gout = pb.grad_output + (roi * pb.c + ch) * bins;
        for (int32_t ph = 0; ph < pb.pooled_h; ++ph)
          for (int32_t pw = 0; pw < pb.pooled_w; ++pw) {
            const float grad = gout[ph * pb.pooled_w + pw];
            for (int32_t iy = 0; iy < plan.grid_h; ++iy) {
              const AxisTap &ty = plan.ys[ph * plan.grid_h + iy];
              if (!ty.valid) continue;
              float *lo = gin + int64_t{ty.low} * pb.w, *hi = gin + int64_t{ty.high} * pb.w;
              for (int32_t ix = 0; ix < plan.grid_w; ++ix) {
                const AxisTap &tx = plan.xs[pw * plan.grid_w + ix];
                if (!tx.valid) continue;
                lo[tx.low] += grad * (ty.w_low * tx.w_low) / count;
                lo[tx.high] += grad * (ty.w_low * tx.w_high) / count;
                hi[tx.low] += grad * (ty.w_high * tx.w_low) / count;
                hi[tx.high] += grad * (ty.w_high * tx.w_high) / count;
              }
            }
          }
      }
    }
  });
}

std::vector<float> &thread_grads() {
  thread_local std::vector<float> grads;
  return grads;
}

// Scatters one RoI's gradient into a pixel-major channel block; the j loops vectorise.
template <int CB>
WS_ALWAYS_INLINE void scatter_block_body(const Problem &pb, int64_t roi, int64_t c0, float *block) {
  const RoiPlan &plan = pb.plans[roi];
  const int64_t bins = int64_t{pb.pooled_h} * pb.pooled_w;
  const int channels = static_cast<int>(std::min<int64_t>(CB, pb.c - c0));
  const float count = static_cast<float>(plan.grid_h * plan.grid_w);
  // The RoI's gradient for the block, bin-major: read channel by channel, contiguously.
  std::vector<float> &grads = thread_grads();
  grads.assign(static_cast<size_t>(bins * CB), 0.f);
  for (int j = 0; j < channels; ++j) {
    const float *gout = pb.grad_output + (roi * pb.c + c0 + j) * bins;
    for (int64_t bin = 0; bin < bins; ++bin) grads[bin * CB + j] = gout[bin];
  }
  for (int32_t ph = 0; ph < pb.pooled_h; ++ph)
    for (int32_t pw = 0; pw < pb.pooled_w; ++pw) {
      const float *grad = grads.data() + (int64_t{ph} * pb.pooled_w + pw) * CB;
      for (int32_t iy = 0; iy < plan.grid_h; ++iy) {
        const AxisTap &ty = plan.ys[ph * plan.grid_h + iy];
        if (!ty.valid) continue;
        for (int32_t ix = 0; ix < plan.grid_w; ++ix) {
          const AxisTap &tx = plan.xs[pw * plan.grid_w + ix];
          if (!tx.valid) continue;
          const float w1 = ty.w_low * tx.w_low, w2 = ty.w_low * tx.w_high;
          const float w3 = ty.w_high * tx.w_low, w4 = ty.w_high * tx.w_high;
          float *p1 = block + (int64_t{ty.low} * pb.w + tx.low) * CB;
          float *p2 = block + (int64_t{ty.low} * pb.w + tx.high) * CB;
          float *p3 = block + (int64_t{ty.high} * pb.w + tx.low) * CB;
          float *p4 = block + (int64_t{ty.high} * pb.w + tx.high) * CB;
          // One pointer at a time: p1..p4 may coincide (clamped taps), as in torchvision.
          for (int j = 0; j < CB; ++j) p1[j] += grad[j] * w1 / count;
          for (int j = 0; j < CB; ++j) p2[j] += grad[j] * w2 / count;
          for (int j = 0; j < CB; ++j) p3[j] += grad[j] * w3 / count;
          for (int j = 0; j < CB; ++j) p4[j] += grad[j] * w4 / count;
        }
      }
    }
}

template <int CB>
WS_TARGET_AVX2 void scatter_block_avx2(const Problem &pb, int64_t roi, int64_t c0, float *block) {
  scatter_block_body<CB>(pb, roi, c0, block);
}

template <int CB>
void scatter_block_default(const Problem &pb, int64_t roi, int64_t c0, float *block) {
  scatter_block_body<CB>(pb, roi, c0, block);
}

template <int CB>
void scatter_block(const Problem &pb, int64_t roi, int64_t c0, float *block) {
  if (active_isa() == CpuIsa::kAvx2) scatter_block_avx2<CB>(pb, roi, c0, block);
  else scatter_block_default<CB>(pb, roi, c0, block);
}

template <int CB>
void backward_blocked(const Problem &pb, float *grad_input) {
  std::vector<int64_t> images;
  for (int64_t b = 0; b < pb.n; ++b)
    if (!pb.rois_of_image[b].empty()) images.push_back(b);
  const int64_t blocks = (pb.c + CB - 1) / CB, pixels = pb.h * pb.w;
  const int64_t tasks = static_cast<int64_t>(images.size()) * blocks;
  std::vector<std::vector<float>> scratch(worker_count(tasks, 1));
  parallel_for(tasks, 1, [&](int64_t begin, int64_t end, int worker) {
    std::vector<float> &block = scratch[worker];
    block.resize(static_cast<size_t>(pixels * CB));
    for (int64_t t = begin; t < end; ++t) {
      const int64_t b = images[t / blocks], c0 = (t % blocks) * CB;
      load_block<CB>(grad_input, pb.c, pixels, b, c0, block.data());
      for (int64_t roi : pb.rois_of_image[b]) scatter_block<CB>(pb, roi, c0, block.data());
      store_block<CB>(block.data(), pb.c, pixels, b, c0, grad_input);
    }
  });
}

}  // namespace
}  // namespace ws

extern "C" int32_t ws_roi_align_backward(const float *grad_output, const float *rois, int64_t r,
                                         int64_t n, int64_t c, int64_t h, int64_t w,
                                         int32_t pooled_h, int32_t pooled_w,
                                         float spatial_scale, int32_t sampling_ratio,
                                         int32_t aligned, float *grad_input, void *) {
  return ws::guarded("ws_roi_align_backward", [&] {
    using ws::require;
    require(n >= 0 && c >= 0 && h >= 0 && w >= 0 && r >= 0, "negative size");
    require(pooled_h > 0 && pooled_w > 0, "pooled size must be positive");
    require(r == 0 || rois != nullptr, "rois is null");
    for (int64_t i = 0; i < r; ++i)
      require(ws::batch_in_range(rois + i * 5, n), "a RoI's batch_index is outside [0, N)");
    const int64_t bins = int64_t{pooled_h} * pooled_w;
    if (r * c * bins == 0) return;
    require(grad_output != nullptr, "grad_output is null");
    require(h > 0 && w > 0 && grad_input != nullptr, "grad_input is empty or null");

    ws::Problem pb{grad_output, n, c, h, w, pooled_h, pooled_w,
                   std::vector<ws::RoiPlan>(static_cast<size_t>(r)),
                   std::vector<std::vector<int64_t>>(static_cast<size_t>(n))};
    int64_t samples = 0;
    for (int64_t i = 0; i < r; ++i) {
      pb.plans[i] = ws::plan_roi(rois + i * 5, h, w, pooled_h, pooled_w, spatial_scale,
                                 sampling_ratio, aligned != 0);
      pb.rois_of_image[pb.plans[i].batch].push_back(i);
      samples += int64_t{pb.plans[i].grid_h} * pb.plans[i].grid_w * bins;
    }
    // As in the forward: transposing pays off once the RoIs sample more than the map has pixels.
    if (c >= 8 && samples >= n * h * w) {
      if (c >= 32) ws::backward_blocked<32>(pb, grad_input);
      else if (c >= 16) ws::backward_blocked<16>(pb, grad_input);
      else ws::backward_blocked<8>(pb, grad_input);
    } else {
      ws::backward_planes(pb, grad_input,
                          std::max<int64_t>(1, 16384 / std::max<int64_t>(samples / n + 1, 1)));
    }
  });
}
