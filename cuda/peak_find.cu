// PRM peak stimulation (forward) on the GPU: per-map medians by a segmented radix sort, one
// thread per pixel for the first-max test, and a global exclusive scan of the peak flags, whose
// maps are contiguous in (n, c, y, x) order, so the scan yields torch.nonzero's order directly.
#include <cub/cub.cuh>

#include <math_constants.h>

#include <algorithm>

#include "cuda_util.h"

namespace ws {
namespace {

__global__ void segment_offsets(int64_t maps, int64_t size, int *offsets) {
  const int64_t m = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (m <= maps) offsets[m] = static_cast<int>(m * size);
}

__global__ void pick_medians(const float *sorted, int64_t maps, int64_t size, float *out) {
  const int64_t m = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (m < maps) out[m] = sorted[m * size + (size - 1) / 2];
}

// PRM's rule (max_pool2d(return_indices) over the map padded with -inf): every earlier element
// of the window, padding included, strictly smaller, no later one greater.
__global__ void mark_peaks(const float *maps, int64_t maps_count, int64_t h, int64_t w, int half,
                           const float *thresholds, int *flags) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= maps_count * h * w) return;
  const int64_t m = i / (h * w), y = (i / w) % h, x = i % w;
  const float *map = maps + m * h * w;
  const float v = map[y * w + x];
  int peak = v >= thresholds[m];
  for (int64_t yy = y - half; yy <= y + half && peak; ++yy)
    for (int64_t xx = x - half; xx <= x + half; ++xx) {
      const bool inside = yy >= 0 && yy < h && xx >= 0 && xx < w;
      const float q = inside ? map[yy * w + xx] : -CUDART_INF_F;
      const bool before = yy < y || (yy == y && xx < x), after = yy > y || (yy == y && xx > x);
      if ((before && q >= v) || (after && q > v)) {
        peak = 0;
        break;
      }
    }
  flags[i] = peak;
}

__global__ void write_peaks(const float *maps, const int *flags, const int *slots, int64_t total,
                            int64_t c, int64_t h, int64_t w, int64_t capacity, int32_t *peaks,
                            float *values) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= total || !flags[i]) return;
  const int64_t slot = slots[i];
  if (slot >= capacity) return;
  const int64_t m = i / (h * w);
  peaks[slot * 4 + 0] = static_cast<int32_t>(m / c);
  peaks[slot * 4 + 1] = static_cast<int32_t>(m % c);
  peaks[slot * 4 + 2] = static_cast<int32_t>((i / w) % h);
  peaks[slot * 4 + 3] = static_cast<int32_t>(i % w);
  values[slot] = maps[i];
}

// One block per map: peak count and mean peak value (in double, like the CPU).
__global__ void summarise_maps(const float *maps, const int *flags, int64_t size,
                               const float *thresholds, float *aggregation, int32_t *counts,
                               float *medians) {
  using Reduce = cub::BlockReduce<double, 256>;
  __shared__ typename Reduce::TempStorage storage;
  __shared__ double total_count;
  const int64_t m = blockIdx.x;
  double sum = 0, count = 0;
  for (int64_t i = threadIdx.x; i < size; i += blockDim.x)
    if (flags[m * size + i]) {
      sum += maps[m * size + i];
      count += 1;
    }
  const double count_all = Reduce(storage).Sum(count);
  if (threadIdx.x == 0) total_count = count_all;
  __syncthreads();
  const double sum_all = Reduce(storage).Sum(sum);
  if (threadIdx.x == 0) {
    if (aggregation) aggregation[m] = total_count > 0 ? static_cast<float>(sum_all / total_count) : 0.f;
    if (counts) counts[m] = static_cast<int32_t>(total_count);
    if (medians) medians[m] = thresholds[m];
  }
}

}  // namespace
}  // namespace ws

extern "C" int32_t ws_peak_find(const float *maps, int64_t n, int64_t c, int64_t h, int64_t w,
                                int32_t win, const float *thresholds, int64_t capacity,
                                int32_t *peaks, float *values, int64_t *count,
                                float *aggregation, int32_t *peak_counts, float *medians,
                                void *stream_ptr) {
  return ws::guarded("ws_peak_find", [&] {
    using ws::require;
    require(n >= 0 && c >= 0 && h >= 0 && w >= 0, "negative map size");
    require(win >= 1 && win % 2 == 1, "win must be odd and >= 1");
    require(capacity >= 0, "negative capacity");
    require(count != nullptr, "count is null");
    const int64_t map_count = n * c, size = h * w, total = map_count * size;
    require(total == 0 || maps != nullptr, "maps is null");
    require(capacity == 0 || (peaks != nullptr && values != nullptr), "peaks/values are null");
    require(total < (int64_t{1} << 31), "more than 2^31 pixels");
    cudaStream_t stream = ws::as_stream(stream_ptr);
    *count = 0;
    if (map_count == 0) return;
    const int threads = 256;

    ws::DeviceBuffer<float> limits(map_count, stream);
    if (size == 0) {  // no pixels: no peaks; the threshold is the given one or 0
      if (thresholds)
        ws::cuda_check(cudaMemcpyAsync(limits.get(), thresholds, sizeof(float) * map_count,
                                       cudaMemcpyDeviceToDevice, stream), "copy thresholds");
      else
        ws::cuda_check(cudaMemsetAsync(limits.get(), 0, sizeof(float) * map_count, stream), "memset");
    } else if (thresholds) {
      ws::cuda_check(cudaMemcpyAsync(limits.get(), thresholds, sizeof(float) * map_count,
                                     cudaMemcpyDeviceToDevice, stream), "copy thresholds");
    } else {
      ws::DeviceBuffer<float> sorted(total, stream);
      ws::DeviceBuffer<int> offsets(map_count + 1, stream);
      ws::segment_offsets<<<ws::blocks_for(map_count + 1, threads), threads, 0, stream>>>(
          map_count, size, offsets.get());
      ws::launch_check("segment_offsets");
      size_t temp_bytes = 0;
      ws::cuda_check(cub::DeviceSegmentedRadixSort::SortKeys(
                         nullptr, temp_bytes, maps, sorted.get(), static_cast<int>(total),
                         static_cast<int>(map_count), offsets.get(), offsets.get() + 1, 0, 32,
                         stream), "SortKeys (size)");
      ws::DeviceBuffer<char> temp(static_cast<int64_t>(std::max<size_t>(temp_bytes, 1)), stream);
      ws::cuda_check(cub::DeviceSegmentedRadixSort::SortKeys(
                         temp.get(), temp_bytes, maps, sorted.get(), static_cast<int>(total),
                         static_cast<int>(map_count), offsets.get(), offsets.get() + 1, 0, 32,
                         stream), "SortKeys");
      ws::pick_medians<<<ws::blocks_for(map_count, threads), threads, 0, stream>>>(
          sorted.get(), map_count, size, limits.get());
      ws::launch_check("pick_medians");
    }

    if (size > 0) {
      ws::DeviceBuffer<int> flags(total, stream), slots(total, stream);
      ws::mark_peaks<<<ws::blocks_for(total, threads), threads, 0, stream>>>(
          maps, map_count, h, w, win / 2, limits.get(), flags.get());
      ws::launch_check("mark_peaks");
      size_t temp_bytes = 0;
      ws::cuda_check(cub::DeviceScan::ExclusiveSum(nullptr, temp_bytes, flags.get(), slots.get(),
                                                   static_cast<int>(total), stream), "scan (size)");
      ws::DeviceBuffer<char> temp(static_cast<int64_t>(std::max<size_t>(temp_bytes, 1)), stream);
      ws::cuda_check(cub::DeviceScan::ExclusiveSum(temp.get(), temp_bytes, flags.get(),
                                                   slots.get(), static_cast<int>(total), stream),
                     "scan");
      if (capacity > 0) {
        ws::write_peaks<<<ws::blocks_for(total, threads), threads, 0, stream>>>(
            maps, flags.get(), slots.get(), total, c, h, w, capacity, peaks, values);
        ws::launch_check("write_peaks");
      }
      int last_slot = 0, last_flag = 0;
      ws::cuda_check(cudaMemcpyAsync(&last_slot, slots.get() + total - 1, sizeof(int),
                                     cudaMemcpyDeviceToHost, stream), "copy count");
      ws::cuda_check(cudaMemcpyAsync(&last_flag, flags.get() + total - 1, sizeof(int),
                                     cudaMemcpyDeviceToHost, stream), "copy count");
      if (aggregation || peak_counts || medians) {
        ws::summarise_maps<<<static_cast<unsigned>(map_count), 256, 0, stream>>>(
            maps, flags.get(), size, limits.get(), aggregation, peak_counts, medians);
        ws::launch_check("summarise_maps");
      }
      ws::cuda_check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
      *count = int64_t{last_slot} + last_flag;
    } else {
      if (aggregation) ws::cuda_check(cudaMemsetAsync(aggregation, 0, sizeof(float) * map_count, stream), "memset");
      if (peak_counts) ws::cuda_check(cudaMemsetAsync(peak_counts, 0, sizeof(int32_t) * map_count, stream), "memset");
      if (medians) ws::cuda_check(cudaMemcpyAsync(medians, limits.get(), sizeof(float) * map_count,
                                                  cudaMemcpyDeviceToDevice, stream), "copy medians");
      ws::cuda_check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    }
  });
}
