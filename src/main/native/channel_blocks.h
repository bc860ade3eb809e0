// Pixel-major copies of a block of CB channels of one image (block[pixel * CB + j]), which let
// the RoIAlign kernels run their channel loops over contiguous, vectorisable memory. The copies
// go tile by tile so a tile of the block stays in cache while all CB planes pass through it.
#pragma once

#include <algorithm>
#include <cstdint>

namespace ws {

constexpr int64_t kTilePixels = 256;

// Channels [c0, c0 + CB) of image b of an N x C x H x W tensor into the block; channels past C
// are zero.
template <int CB>
void load_block(const float *tensor, int64_t c, int64_t pixels, int64_t b, int64_t c0,
                float *block) {
  for (int64_t t0 = 0; t0 < pixels; t0 += kTilePixels) {
    const int64_t t1 = std::min(pixels, t0 + kTilePixels);
    for (int j = 0; j < CB; ++j) {
      if (c0 + j < c) {
        const float *plane = tensor + (b * c + c0 + j) * pixels;
        for (int64_t i = t0; i < t1; ++i) block[i * CB + j] = plane[i];
      } else {
        for (int64_t i = t0; i < t1; ++i) block[i * CB + j] = 0.f;
      }
    }
  }
}

// The inverse of load_block for the channels that exist.
template <int CB>
void store_block(const float *block, int64_t c, int64_t pixels, int64_t b, int64_t c0,
                 float *tensor) {
  for (int64_t t0 = 0; t0 < pixels; t0 += kTilePixels) {
    const int64_t t1 = std::min(pixels, t0 + kTilePixels);
    for (int j = 0; j < CB && c0 + j < c; ++j) {
      float *plane = tensor + (b * c + c0 + j) * pixels;
      for (int64_t i = t0; i < t1; ++i) plane[i] = block[i * CB + j];
    }
  }
}

}  // namespace ws
