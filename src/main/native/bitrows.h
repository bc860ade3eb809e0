// Helpers for bit-packed mask rows (bit x of a row is bit x % 64 of word x / 64).
#pragma once

#include <cstdint>

namespace ws {

inline int64_t words_per_row(int64_t w) { return (w + 63) / 64; }

// The valid bits of word i of a row of width w (the last word may be partial).
inline uint64_t valid_bits(int64_t i, int64_t w) {
  const int64_t rest = w - i * 64;
  return rest >= 64 ? ~uint64_t{0} : ((uint64_t{1} << rest) - 1);
}

// Calls run(begin, end) for every maximal run of set bits of the row, left to right.
template <class F>
void for_each_run(const uint64_t *row, int64_t wpr, F &&run) {
  if (wpr == 0) return;
  int64_t i = 0;
  uint64_t bits = row[0];
  for (;;) {
    while (bits == 0) {
      if (++i == wpr) return;
      bits = row[i];
    }
    const int start_bit = __builtin_ctzll(bits);
    const int64_t begin = i * 64 + start_bit;
    uint64_t clear = ~bits & (~uint64_t{0} << start_bit);
    while (clear == 0) {
      if (++i == wpr) {
        run(begin, wpr * 64);
        return;
      }
      clear = ~row[i];
    }
    const int end_bit = __builtin_ctzll(clear);
    run(begin, i * 64 + end_bit);
    bits = row[i] & (~uint64_t{0} << end_bit);
  }
}

// dst |= src shifted by `shift` bit positions (positive: towards higher x); bits leaving the
// row are dropped.
inline void or_shifted(const uint64_t *src, uint64_t *dst, int64_t wpr, int64_t shift) {
  const int64_t words = (shift >= 0 ? shift : -shift) / 64;
  const int bits = static_cast<int>((shift >= 0 ? shift : -shift) % 64);
  for (int64_t i = 0; i < wpr; ++i) {
    uint64_t v = 0;
    if (shift >= 0) {
      const int64_t j = i - words;
      if (j >= 0) v |= src[j] << bits;
      if (bits && j - 1 >= 0) v |= src[j - 1] >> (64 - bits);
    } else {
      const int64_t j = i + words;
      if (j < wpr) v |= src[j] >> bits;
      if (bits && j + 1 < wpr) v |= src[j + 1] << (64 - bits);
    }
    dst[i] |= v;
  }
}

}  // namespace ws
