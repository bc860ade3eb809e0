// Proposal-to-peak scoring on the GPU. The maps are thresholded into packed bitmaps once; the
// boundaries of all proposals are computed into a packed buffer (one thread per word); then one
// block per proposal walks its mask and boundary words once per map, summing in double.
#include <cub/cub.cuh>

#include "cuda_util.h"

namespace ws {
namespace {

__device__ __forceinline__ uint64_t valid_bits(int64_t i, int64_t w) {
  const int64_t rest = w - i * 64;
  return rest >= 64 ? ~uint64_t{0} : ((uint64_t{1} << rest) - 1);
}

// Word j of a mask row, or of its complement within the image; 0 outside the row.
__device__ __forceinline__ uint64_t row_word(const uint64_t *row, int64_t j, int64_t wpr,
                                             int64_t w, bool complement) {
  if (j < 0 || j >= wpr) return 0;
  return complement ? ~row[j] & valid_bits(j, w) : row[j];
}

// Word i of the row shifted by s bits towards higher x (bit x of the result = bit x - s).
__device__ uint64_t shifted_word(const uint64_t *row, int64_t i, int64_t wpr, int64_t w,
                                 int64_t s, bool complement) {
  const int64_t base = i * 64 - s;  // source bit of result bit 0
  const int64_t j = base >= 0 ? base / 64 : -((-base + 63) / 64);
  const int off = static_cast<int>(base - j * 64);
  uint64_t out = row_word(row, j, wpr, w, complement) >> off;
  if (off) out |= row_word(row, j + 1, wpr, w, complement) << (64 - off);
  return out;
}

// Boundary word: (dilate(P) & dilate(not P)) with the clipped (2r+1)^2 window.
__global__ void boundary_kernel(const uint64_t *masks, int64_t p, int64_t h, int64_t w,
                                int radius, uint64_t *boundary) {
  const int64_t wpr = (w + 63) / 64;
  const int64_t index = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (index >= p * h * wpr) return;
  const int64_t i = index % wpr, y = (index / wpr) % h, q = index / (wpr * h);
  const uint64_t *mask = masks + q * h * wpr;
  uint64_t d = 0, dc = 0;
  for (int64_t yy = max(int64_t{0}, y - radius); yy <= min(h - 1, y + radius); ++yy)
    for (int64_t s = -radius; s <= radius; ++s) {
      d |= shifted_word(mask + yy * wpr, i, wpr, w, s, false);
      dc |= shifted_word(mask + yy * wpr, i, wpr, w, s, true);
    }
  boundary[index] = d & dc & valid_bits(i, w);
}

__global__ void threshold_kernel(const float *maps, const float *thresholds, int64_t k,
                                 int64_t h, int64_t w, uint64_t *bits,
                                 unsigned long long *counts) {
  const int64_t wpr = (w + 63) / 64;
  const int64_t index = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (index >= k * h * wpr) return;
  const int64_t i = index % wpr, y = (index / wpr) % h, j = index / (wpr * h);
  const float *row = maps + (j * h + y) * w;
  const float limit = thresholds[j];
  uint64_t word = 0;
  for (int64_t b = 0; b < 64 && i * 64 + b < w; ++b)
    if (row[i * 64 + b] >= limit) word |= uint64_t{1} << b;
  bits[index] = word;
  if (word) atomicAdd(counts + j, static_cast<unsigned long long>(__popcll(word)));
}

// Sum of map over the set bits of `word` (word i of row y).
__device__ __forceinline__ double word_sum(const float *map, int64_t y, int64_t i, int64_t w,
                                           uint64_t word) {
  double sum = 0;
  while (word) {
    const int b = __ffsll(static_cast<long long>(word)) - 1;
    sum += map[y * w + i * 64 + b];
    word &= word - 1;
  }
  return sum;
}

constexpr int kBlock = 256;

__global__ void score_kernel(const uint64_t *masks, const uint64_t *boundary, int64_t p,
                             int64_t h, int64_t w, const float *maps, int64_t k,
                             const uint64_t *thresholded, const unsigned long long *t_counts,
                             const int32_t *points, float *sum_inside, int64_t *inter,
                             int64_t *uni, float *sum_boundary, uint8_t *contains,
                             int64_t *area) {
  using DoubleReduce = cub::BlockReduce<double, kBlock>;
  using CountReduce = cub::BlockReduce<long long, kBlock>;
  __shared__ typename DoubleReduce::TempStorage double_storage;
  __shared__ typename CountReduce::TempStorage count_storage;
  __shared__ long long pixels;
  const int64_t wpr = (w + 63) / 64, words = h * wpr, q = blockIdx.x;
  const uint64_t *mask = masks + q * words;
  const uint64_t *edge = boundary ? boundary + q * words : nullptr;

  long long mine = 0;
  for (int64_t idx = threadIdx.x; idx < words; idx += blockDim.x) mine += __popcll(mask[idx]);
  const long long total = CountReduce(count_storage).Sum(mine);
  if (threadIdx.x == 0) {
    pixels = total;
    if (area) area[q] = total;
  }
  __syncthreads();

  for (int64_t j = 0; j < k; ++j) {
    const float *map = maps ? maps + j * h * w : nullptr;
    double inside = 0, on_edge = 0;
    long long common = 0;
    for (int64_t idx = threadIdx.x; idx < words; idx += blockDim.x) {
      const int64_t y = idx / wpr, i = idx % wpr;
      const uint64_t m = mask[idx];
      if (sum_inside && m) inside += word_sum(map, y, i, w, m);
      if (edge && edge[idx]) on_edge += word_sum(map, y, i, w, edge[idx]);
      if (thresholded) common += __popcll(m & thresholded[j * words + idx]);
    }
    if (sum_inside) {
      const double s = DoubleReduce(double_storage).Sum(inside);
      if (threadIdx.x == 0) sum_inside[j * p + q] = static_cast<float>(s);
      __syncthreads();
    }
    if (edge) {
      const double s = DoubleReduce(double_storage).Sum(on_edge);
      if (threadIdx.x == 0) sum_boundary[j * p + q] = static_cast<float>(s);
      __syncthreads();
    }
    if (thresholded) {
      const long long s = CountReduce(count_storage).Sum(common);
      if (threadIdx.x == 0) {
        if (inter) inter[j * p + q] = s;
        if (uni) uni[j * p + q] = pixels + static_cast<long long>(t_counts[j]) - s;
      }
      __syncthreads();
    }
    if (contains && threadIdx.x == 0) {
      const int64_t py = points[2 * j], px = points[2 * j + 1];
      const bool in = py >= 0 && py < h && px >= 0 && px < w;
      contains[j * p + q] = in && ((mask[py * wpr + px / 64] >> (px % 64)) & 1);
    }
  }
}

}  // namespace
}  // namespace ws

extern "C" int32_t ws_proposal_score(const uint64_t *masks, int64_t p, int64_t h, int64_t w,
                                     const float *maps, int64_t k, const float *thresholds,
                                     const int32_t *points, int32_t boundary_radius,
                                     float *sum_inside, int64_t *inter, int64_t *uni,
                                     float *sum_boundary, uint8_t *contains, int64_t *area,
                                     void *stream_ptr) {
  return ws::guarded("ws_proposal_score", [&] {
    using ws::require;
    require(p >= 0 && h >= 0 && w >= 0 && k >= 0, "negative size");
    require(boundary_radius >= 0, "negative boundary_radius");
    const int64_t wpr = (w + 63) / 64, words = h * wpr;
    require(p * words == 0 || masks != nullptr, "masks is null");
    const bool need_maps = k > 0 && (sum_inside || inter || uni || sum_boundary);
    require(!need_maps || h * w == 0 || maps != nullptr, "maps is null");
    require(k == 0 || !(inter || uni) || thresholds != nullptr, "thresholds is null");
    require(k == 0 || !contains || points != nullptr, "points is null");
    require(p <= INT32_MAX, "too many proposals");
    if (p == 0) return;
    cudaStream_t stream = ws::as_stream(stream_ptr);
    const bool want_counts = k > 0 && (inter || uni);
    const bool want_boundary = k > 0 && sum_boundary;

    ws::DeviceBuffer<uint64_t> thresholded(want_counts ? k * words : 0, stream);
    ws::DeviceBuffer<unsigned long long> t_counts(want_counts ? k : 0, stream);
    if (want_counts && words > 0) {
      ws::cuda_check(cudaMemsetAsync(t_counts.get(), 0, sizeof(unsigned long long) * k, stream), "memset");
      ws::threshold_kernel<<<ws::blocks_for(k * words, 256), 256, 0, stream>>>(
          maps, thresholds, k, h, w, thresholded.get(), t_counts.get());
      ws::launch_check("threshold_kernel");
    } else if (want_counts) {
      ws::cuda_check(cudaMemsetAsync(t_counts.get(), 0, sizeof(unsigned long long) * k, stream), "memset");
    }
    ws::DeviceBuffer<uint64_t> boundary(want_boundary ? p * words : 0, stream);
    if (want_boundary && words > 0) {
      ws::boundary_kernel<<<ws::blocks_for(p * words, 256), 256, 0, stream>>>(
          masks, p, h, w, boundary_radius, boundary.get());
      ws::launch_check("boundary_kernel");
    }
    if (words == 0) {  // empty images: zero areas and scores
      if (area) ws::cuda_check(cudaMemsetAsync(area, 0, sizeof(int64_t) * p, stream), "memset");
      if (sum_inside) ws::cuda_check(cudaMemsetAsync(sum_inside, 0, sizeof(float) * k * p, stream), "memset");
      if (sum_boundary) ws::cuda_check(cudaMemsetAsync(sum_boundary, 0, sizeof(float) * k * p, stream), "memset");
      if (inter) ws::cuda_check(cudaMemsetAsync(inter, 0, sizeof(int64_t) * k * p, stream), "memset");
      if (uni) ws::cuda_check(cudaMemsetAsync(uni, 0, sizeof(int64_t) * k * p, stream), "memset");
      if (contains) ws::cuda_check(cudaMemsetAsync(contains, 0, k * p, stream), "memset");
      return;
    }
    ws::score_kernel<<<static_cast<unsigned>(p), ws::kBlock, 0, stream>>>(
        masks, want_boundary ? boundary.get() : nullptr, p, h, w, need_maps ? maps : nullptr, k,
        want_counts ? thresholded.get() : nullptr, t_counts.get(), points,
        k > 0 ? sum_inside : nullptr, inter, uni, sum_boundary, contains, area);
    ws::launch_check("score_kernel");
  });
}
