// Non-maximum suppression on the GPU, the standard bitmask approach (as torchvision's CUDA nms):
// a stable device sort by score; one thread per (row box, 64-column block) writes a 64-bit mask
// of the boxes it overlaps above the threshold; the host scans the masks greedily.
#include <thrust/execution_policy.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>

#include <vector>

#include "cuda_util.h"

namespace ws {
namespace {

constexpr int kBits = 64;

__device__ inline bool overlaps(const float *a, const float *b, float threshold) {
  const float w = fmaxf(0.0f, fminf(a[2], b[2]) - fmaxf(a[0], b[0]));
  const float h = fmaxf(0.0f, fminf(a[3], b[3]) - fmaxf(a[1], b[1]));
  const float inter = w * h;
  const float area_a = (a[2] - a[0]) * (a[3] - a[1]);
  const float area_b = (b[2] - b[0]) * (b[3] - b[1]);
  return inter / (area_a + area_b - inter) > threshold;
}

// sorted_boxes: boxes in score order; mask[i * col_blocks + cb] bit k: box i suppresses
// box cb * 64 + k (only for later boxes, same group).
__global__ void mask_kernel(const float *sorted_boxes, const int64_t *sorted_groups, int64_t n,
                            int64_t col_blocks, float threshold, unsigned long long *mask) {
  const int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  const int64_t cb = blockIdx.y;
  if (row >= n) return;
  const float *a = sorted_boxes + 4 * row;
  unsigned long long bits = 0;
  const int64_t start = cb * kBits;
  for (int k = 0; k < kBits; ++k) {
    const int64_t col = start + k;
    if (col >= n) break;
    if (col <= row) continue;
    if (sorted_groups != nullptr && sorted_groups[col] != sorted_groups[row]) continue;
    if (overlaps(a, sorted_boxes + 4 * col, threshold)) bits |= 1ULL << k;
  }
  mask[row * col_blocks + cb] = bits;
}

__global__ void gather_kernel(const float *boxes, const int64_t *groups, const int64_t *order,
                              int64_t n, float *sorted_boxes, int64_t *sorted_groups) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  const int64_t src = order[i];
  for (int k = 0; k < 4; ++k) sorted_boxes[4 * i + k] = boxes[4 * src + k];
  if (groups != nullptr) sorted_groups[i] = groups[src];
}

void nms(const float *boxes, const float *scores, const int64_t *groups, int64_t n,
         float threshold, int64_t *keep, int64_t *num_kept, cudaStream_t stream) {
  require(n >= 0, "negative box count");
  require(num_kept != nullptr, "num_kept is null");
  require(n == 0 || (boxes != nullptr && scores != nullptr && keep != nullptr),
          "boxes/scores/keep are null");
  *num_kept = 0;
  if (n == 0) return;
  DeviceBuffer<float> keys(n, stream);
  DeviceBuffer<int64_t> order(n, stream);
  cuda_check(cudaMemcpyAsync(keys.get(), scores, sizeof(float) * n, cudaMemcpyDeviceToDevice, stream),
             "copy scores");
  auto policy = thrust::cuda::par.on(stream);
  thrust::sequence(policy, order.get(), order.get() + n);
  // descending and stable: equal scores keep their input order, as on the CPU
  thrust::stable_sort_by_key(policy, keys.get(), keys.get() + n, order.get(),
                             thrust::greater<float>());
  DeviceBuffer<float> sorted_boxes(4 * n, stream);
  DeviceBuffer<int64_t> sorted_groups(groups != nullptr ? n : 0, stream);
  gather_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(boxes, groups, order.get(), n,
                                                         sorted_boxes.get(), sorted_groups.get());
  launch_check("nms gather");
  const int64_t col_blocks = (n + kBits - 1) / kBits;
  DeviceBuffer<unsigned long long> mask(n * col_blocks, stream);
  dim3 grid(static_cast<unsigned>(blocks_for(n, kBits)), static_cast<unsigned>(col_blocks));
  mask_kernel<<<grid, kBits, 0, stream>>>(sorted_boxes.get(), groups != nullptr ? sorted_groups.get() : nullptr,
                                          n, col_blocks, threshold, mask.get());
  launch_check("nms mask");
  std::vector<unsigned long long> host_mask(n * col_blocks);
  std::vector<int64_t> host_order(n);
  cuda_check(cudaMemcpyAsync(host_mask.data(), mask.get(), sizeof(unsigned long long) * n * col_blocks,
                             cudaMemcpyDeviceToHost, stream), "copy nms mask");
  cuda_check(cudaMemcpyAsync(host_order.data(), order.get(), sizeof(int64_t) * n,
                             cudaMemcpyDeviceToHost, stream), "copy nms order");
  cuda_check(cudaStreamSynchronize(stream), "nms synchronize");
  std::vector<unsigned long long> removed(col_blocks, 0);
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < n; ++i) {
    if (removed[i / kBits] & (1ULL << (i % kBits))) continue;
    kept.push_back(host_order[i]);
    const unsigned long long *row = host_mask.data() + i * col_blocks;
    for (int64_t cb = i / kBits; cb < col_blocks; ++cb) removed[cb] |= row[cb];
  }
  cuda_check(cudaMemcpyAsync(keep, kept.data(), sizeof(int64_t) * kept.size(), cudaMemcpyHostToDevice,
                             stream), "copy keep");
  cuda_check(cudaStreamSynchronize(stream), "nms synchronize");
  *num_kept = static_cast<int64_t>(kept.size());
}

}  // namespace
}  // namespace ws

extern "C" int32_t ws_nms(const float *boxes, const float *scores, int64_t n, float iou_threshold,
                          int64_t *keep, int64_t *num_kept, void *stream) {
  return ws::guarded("ws_nms", [&] {
    ws::nms(boxes, scores, nullptr, n, iou_threshold, keep, num_kept, ws::as_stream(stream));
  });
}

extern "C" int32_t ws_batched_nms(const float *boxes, const float *scores, const int64_t *groups,
                                  int64_t n, float iou_threshold, int64_t *keep,
                                  int64_t *num_kept, void *stream) {
  return ws::guarded("ws_batched_nms", [&] {
    ws::require(n == 0 || groups != nullptr, "groups is null");
    ws::nms(boxes, scores, groups, n, iou_threshold, keep, num_kept, ws::as_stream(stream));
  });
}
