// Proposal-to-peak scoring on bit-packed masks. The maps are turned once into row prefix tables
// (pixel-major, all K maps side by side): the sum of R_k over a run of set bits [b, e) of row y is
// S[y][e][k] - S[y][b][k], the count of thresholded pixels CT[y][e][k] - CT[y][b][k]. A mask is
// then visited once, run by run, for all K maps together. Boundaries come from word-shift
// morphology: dilate(P) & dilate(complement of P), both with the clipped square window.
#include <algorithm>
#include <vector>

#include "bitrows.h"
#include "parallel.h"
#include "status.h"

namespace ws {
namespace {

struct Tables {
  int64_t h, w, k;
  std::vector<double> sums;     // h x (w + 1) x k, row prefix sums of the maps
  std::vector<int32_t> counts;  // h x (w + 1) x k, row prefix counts of R_k >= threshold_k
  std::vector<int64_t> thresholded;  // |T(R_k)|
  size_t at(int64_t y, int64_t x) const { return static_cast<size_t>((y * (w + 1) + x) * k); }
};

void build_tables(const float *maps, const float *thresholds, bool want_sums, bool want_counts,
                  Tables &t) {
  const int64_t row_cells = (t.w + 1) * t.k;
  if (want_sums) t.sums.assign(static_cast<size_t>(t.h * row_cells), 0.0);
  if (want_counts) t.counts.assign(static_cast<size_t>(t.h * row_cells), 0);
  parallel_for(t.h, 16, [&](int64_t begin, int64_t end, int) {
    for (int64_t y = begin; y < end; ++y)
      for (int64_t k = 0; k < t.k; ++k) {
        const float *row = maps + (k * t.h + y) * t.w;
        if (want_sums) {
          double *s = t.sums.data() + t.at(y, 0) + k;
          double running = 0.0;
          for (int64_t x = 0; x < t.w; ++x) s[(x + 1) * t.k] = running += row[x];
        }
        if (want_counts) {
          int32_t *s = t.counts.data() + t.at(y, 0) + k;
          const float limit = thresholds[k];
          int32_t running = 0;
          for (int64_t x = 0; x < t.w; ++x) s[(x + 1) * t.k] = running += (row[x] >= limit);
        }
      }
  });
  if (want_counts) {
    t.thresholded.assign(static_cast<size_t>(t.k), 0);
    for (int64_t y = 0; y < t.h; ++y)
      for (int64_t k = 0; k < t.k; ++k) t.thresholded[k] += t.counts[t.at(y, t.w) + k];
  }
}

// Adds the table differences of run [begin, end) of row y into acc (k entries).
template <class T, class A>
inline void add_run(const std::vector<T> &table, const Tables &t, int64_t y, int64_t begin,
                    int64_t end, A *acc) {
  const T *b = table.data() + t.at(y, begin), *e = table.data() + t.at(y, end);
  for (int64_t k = 0; k < t.k; ++k) acc[k] += e[k] - b[k];
}

struct Scratch {
  std::vector<double> inside, boundary;
  std::vector<int64_t> inter;
  std::vector<uint64_t> dilated, dilated_complement, row, word;
};

// Word i of a row dilated horizontally by radius < 64 (bits past the row's ends are dropped);
// get(j) reads word j of the source row.
template <class Get>
inline uint64_t dilated_word(Get get, int64_t i, int64_t wpr, int radius) {
  const uint64_t cur = get(i), prev = i > 0 ? get(i - 1) : 0, next = i + 1 < wpr ? get(i + 1) : 0;
  uint64_t out = cur;
  for (int s = 1; s <= radius; ++s)
    out |= (cur << s) | (prev >> (64 - s)) | (cur >> s) | (next << (64 - s));
  return out;
}

// Horizontal dilation by `radius` of words [lo, hi] of rows [y0, y1] of the mask, and of their
// complement within the image, into s.dilated / s.dilated_complement ((y - y0) * span + i - lo).
void dilate_rows(const uint64_t *mask, int64_t y0, int64_t y1, int64_t lo, int64_t hi,
                 int64_t w, int32_t radius, Scratch &s) {
  const int64_t wpr = words_per_row(w), rows = y1 - y0 + 1, span = hi - lo + 1;
  s.dilated.assign(static_cast<size_t>(rows * span), 0);
  s.dilated_complement.assign(static_cast<size_t>(rows * span), 0);
  for (int64_t y = y0; y <= y1; ++y) {
    const uint64_t *src = mask + y * wpr;
    uint64_t *d = s.dilated.data() + (y - y0) * span;
    uint64_t *dc = s.dilated_complement.data() + (y - y0) * span;
    auto word = [&](int64_t j) { return src[j]; };
    auto complement = [&](int64_t j) { return ~src[j] & valid_bits(j, w); };
    if (radius < 64) {
      for (int64_t i = lo; i <= hi; ++i) {
        d[i - lo] = dilated_word(word, i, wpr, radius) & valid_bits(i, w);
        dc[i - lo] = dilated_word(complement, i, wpr, radius);
      }
    } else {  // wide windows: one shifted pass per offset over the whole row (lo = 0, hi = wpr - 1)
      s.row.resize(static_cast<size_t>(wpr));
      for (int64_t i = 0; i < wpr; ++i) s.row[i] = complement(i);
      for (int64_t shift = -radius; shift <= radius; ++shift) {
        or_shifted(src, d, wpr, shift);
        or_shifted(s.row.data(), dc, wpr, shift);
      }
      for (int64_t i = 0; i < wpr; ++i) d[i] &= valid_bits(i, w);
    }
  }
}

// Sum of every map over the boundary of the mask whose non-empty rows are [y0, y1] and non-empty
// words [x0, x1]: only words within radius of those can hold boundary pixels.
void boundary_sums(const uint64_t *mask, int64_t y0, int64_t y1, int64_t x0, int64_t x1,
                   int32_t radius, const Tables &t, Scratch &s) {
  const int64_t wpr = words_per_row(t.w);
  const int64_t reach = radius < 64 ? 1 : wpr;
  const int64_t lo = std::max<int64_t>(0, x0 - reach), hi = std::min(wpr - 1, x1 + reach);
  const int64_t span = hi - lo + 1;
  dilate_rows(mask, y0, y1, lo, hi, t.w, radius, s);
  s.word.resize(static_cast<size_t>(span));
  const int64_t first = std::max<int64_t>(0, y0 - radius), last = std::min(t.h - 1, y1 + radius);
  for (int64_t y = first; y <= last; ++y) {
    const int64_t top = std::max<int64_t>(0, y - radius), bottom = std::min(t.h - 1, y + radius);
    // Rows of the window outside [y0, y1] are empty in P, so their complement is the full row.
    const bool full_complement = top < y0 || bottom > y1;
    const int64_t a = std::max(top, y0), b = std::min(bottom, y1);
    for (int64_t i = 0; i < span; ++i) {
      uint64_t d = 0, dc = full_complement ? valid_bits(lo + i, t.w) : 0;
      for (int64_t yy = a; yy <= b; ++yy) {
        d |= s.dilated[(yy - y0) * span + i];
        if (!full_complement) dc |= s.dilated_complement[(yy - y0) * span + i];
      }
      s.word[i] = d & dc;
    }
    for_each_run(s.word.data(), span, [&](int64_t begin, int64_t end) {
      add_run(t.sums, t, y, lo * 64 + begin, lo * 64 + end, s.boundary.data());
    });
  }
}

}  // namespace
}  // namespace ws

extern "C" int32_t ws_proposal_score(const uint64_t *masks, int64_t p, int64_t h, int64_t w,
                                     const float *maps, int64_t k, const float *thresholds,
                                     const int32_t *points, int32_t boundary_radius,
                                     float *sum_inside, int64_t *inter, int64_t *uni,
                                     float *sum_boundary, uint8_t *contains, int64_t *area,
                                     void *) {
  return ws::guarded("ws_proposal_score", [&] {
    using ws::require;
    require(p >= 0 && h >= 0 && w >= 0 && k >= 0, "negative size");
    require(boundary_radius >= 0, "negative boundary_radius");
    const int64_t wpr = ws::words_per_row(w), mask_words = h * wpr;
    require(p * mask_words == 0 || masks != nullptr, "masks is null");
    const bool need_maps = k > 0 && (sum_inside || inter || uni || sum_boundary);
    require(!need_maps || h * w == 0 || maps != nullptr, "maps is null");
    require(k == 0 || !(inter || uni) || thresholds != nullptr, "thresholds is null");
    require(k == 0 || !contains || points != nullptr, "points is null");
    if (p == 0) return;

    ws::Tables t{h, w, k, {}, {}, {}};
    const bool want_sums = k > 0 && (sum_inside || sum_boundary);
    const bool want_counts = k > 0 && (inter || uni);
    if (want_sums || want_counts) ws::build_tables(maps, thresholds, want_sums, want_counts, t);

    std::vector<ws::Scratch> scratch(ws::worker_count(p, 4));
    ws::parallel_for(p, 4, [&](int64_t begin, int64_t end, int worker) {
      ws::Scratch &s = scratch[worker];
      for (int64_t q = begin; q < end; ++q) {
        const uint64_t *mask = masks + q * mask_words;
        s.inside.assign(static_cast<size_t>(k), 0.0);
        s.boundary.assign(static_cast<size_t>(k), 0.0);
        s.inter.assign(static_cast<size_t>(k), 0);
        int64_t pixels = 0, y0 = h, y1 = -1, x0 = wpr, x1 = -1;
        for (int64_t y = 0; y < h; ++y) {
          const uint64_t *row = mask + y * wpr;
          ws::for_each_run(row, wpr, [&](int64_t b, int64_t e) {
            pixels += e - b;
            y0 = std::min(y0, y);
            y1 = y;
            x0 = std::min(x0, b / 64);
            x1 = std::max(x1, (e - 1) / 64);
            if (want_sums) ws::add_run(t.sums, t, y, b, e, s.inside.data());
            if (want_counts) ws::add_run(t.counts, t, y, b, e, s.inter.data());
          });
        }
        if (sum_boundary && k > 0 && pixels > 0)
          ws::boundary_sums(mask, y0, y1, x0, x1, boundary_radius, t, s);
        if (area) area[q] = pixels;
        for (int64_t j = 0; j < k; ++j) {
          const int64_t out = j * p + q;
          if (sum_inside) sum_inside[out] = static_cast<float>(s.inside[j]);
          if (sum_boundary) sum_boundary[out] = static_cast<float>(s.boundary[j]);
          if (inter) inter[out] = s.inter[j];
          if (uni) uni[out] = pixels + t.thresholded[j] - s.inter[j];
          if (contains) {
            const int64_t py = points[2 * j], px = points[2 * j + 1];
            const bool inside = py >= 0 && py < h && px >= 0 && px < w;
            contains[out] = inside && ((mask[py * wpr + px / 64] >> (px % 64)) & 1);
          }
        }
      }
    });
  });
}
