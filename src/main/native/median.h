// torch.median's lower median of a float array (element (n - 1) / 2 of the sorted values) by a
// one-level radix select: bucket the order-preserving integer keys between min and max into
// 4096 bins, then select inside the one bucket that holds the rank.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace ws {

// Integer key with the order of the float (NaN excluded).
inline uint32_t sortable_key(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits & 0x80000000u ? ~bits : bits | 0x80000000u;
}

inline float lower_median(const float *values, int64_t size, std::vector<float> &scratch) {
  const int64_t rank = (size - 1) / 2;
  uint32_t lo = UINT32_MAX, hi = 0;
  for (int64_t i = 0; i < size; ++i) {
    const uint32_t k = sortable_key(values[i]);
    lo = std::min(lo, k);
    hi = std::max(hi, k);
  }
  if (lo == hi) return values[0];
  int shift = 0;
  while (((hi - lo) >> shift) >= 4096) ++shift;
  uint32_t histogram[4096] = {};
  for (int64_t i = 0; i < size; ++i) ++histogram[(sortable_key(values[i]) - lo) >> shift];
  int64_t before = 0;
  uint32_t bucket = 0;
  while (before + histogram[bucket] <= rank) before += histogram[bucket++];
  scratch.clear();
  for (int64_t i = 0; i < size; ++i)
    if (((sortable_key(values[i]) - lo) >> shift) == bucket) scratch.push_back(values[i]);
  auto middle = scratch.begin() + (rank - before);
  std::nth_element(scratch.begin(), middle, scratch.end());
  return *middle;
}

}  // namespace ws
