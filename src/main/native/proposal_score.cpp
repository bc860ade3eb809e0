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
  std::vector<uint64_t> dilated, dilated_complement, row;
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

// Where a proposal's pixels lie, and its boundary: packed words [lo, hi] of rows [first, last].
struct Extent {
  int64_t y0 = 0, y1 = -1, x0 = 0, x1 = -1;  // rows and words holding pixels; y1 < y0: empty
  int64_t first = 0, last = -1, lo = 0, hi = -1;
  std::vector<uint64_t> edge;
};

void find_extent(const uint64_t *mask, int64_t h, int64_t wpr, Extent &e) {
  e.y0 = h;
  e.x0 = wpr;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t i = 0; i < wpr; ++i)
      if (mask[y * wpr + i]) {
        e.y0 = std::min(e.y0, y);
        e.y1 = y;
        e.x0 = std::min(e.x0, i);
        e.x1 = std::max(e.x1, i);
      }
}

// The boundary of a non-empty mask; only words within radius of its pixels can hold any.
void boundary_rows(const uint64_t *mask, int64_t h, int64_t w, int32_t radius, Extent &e,
                   Scratch &s) {
  const int64_t wpr = words_per_row(w);
  const int64_t reach = radius < 64 ? 1 : wpr;
  e.lo = std::max<int64_t>(0, e.x0 - reach);
  e.hi = std::min(wpr - 1, e.x1 + reach);
  e.first = std::max<int64_t>(0, e.y0 - radius);
  e.last = std::min(h - 1, e.y1 + radius);
  const int64_t span = e.hi - e.lo + 1;
  dilate_rows(mask, e.y0, e.y1, e.lo, e.hi, w, radius, s);
  e.edge.resize(static_cast<size_t>((e.last - e.first + 1) * span));
  for (int64_t y = e.first; y <= e.last; ++y) {
    const int64_t top = std::max<int64_t>(0, y - radius), bottom = std::min(h - 1, y + radius);
    // Rows of the window outside [y0, y1] are empty in P, so their complement is the full row.
    const bool full_complement = top < e.y0 || bottom > e.y1;
    const int64_t a = std::max(top, e.y0), b = std::min(bottom, e.y1);
    uint64_t *out = e.edge.data() + (y - e.first) * span;
    for (int64_t i = 0; i < span; ++i) {
      uint64_t d = 0, dc = full_complement ? valid_bits(e.lo + i, w) : 0;
      for (int64_t yy = a; yy <= b; ++yy) {
        d |= s.dilated[(yy - e.y0) * span + i];
        if (!full_complement) dc |= s.dilated_complement[(yy - e.y0) * span + i];
      }
      out[i] = d & dc;
    }
  }
}

struct Outputs {
  float *sum_inside;
  int64_t *inter, *uni;
  float *sum_boundary;
  uint8_t *contains;
  int64_t *area;
};

// Scores proposals [begin, end). Rows are the outer loop, so each row of the tables is fetched
// once for the whole chunk rather than once per proposal.
void score_chunk(const uint64_t *masks, int64_t p, int64_t begin, int64_t end, const Tables &t,
                 const int32_t *points, int32_t radius, bool want_sums, bool want_counts,
                 const Outputs &out, Scratch &s) {
  const int64_t h = t.h, w = t.w, k = t.k, wpr = words_per_row(w), n = end - begin;
  const bool want_boundary = out.sum_boundary && k > 0;
  std::vector<Extent> extents(static_cast<size_t>(n));
  for (int64_t q = begin; q < end; ++q) {
    Extent &e = extents[q - begin];
    find_extent(masks + q * h * wpr, h, wpr, e);
    if (want_boundary && e.y1 >= e.y0) boundary_rows(masks + q * h * wpr, h, w, radius, e, s);
  }
  std::vector<double> inside(static_cast<size_t>(n * k), 0.0), boundary(inside.size(), 0.0);
  std::vector<int64_t> inter(inside.size(), 0), pixels(static_cast<size_t>(n), 0);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t q = begin; q < end; ++q) {
      const Extent &e = extents[q - begin];
      const int64_t j = q - begin;
      if (y >= e.y0 && y <= e.y1) {
        const uint64_t *row = masks + (q * h + y) * wpr + e.x0;
        for_each_run(row, e.x1 - e.x0 + 1, [&](int64_t b, int64_t x) {
          b += e.x0 * 64;
          x += e.x0 * 64;
          pixels[j] += x - b;
          if (want_sums) add_run(t.sums, t, y, b, x, inside.data() + j * k);
          if (want_counts) add_run(t.counts, t, y, b, x, inter.data() + j * k);
        });
      }
      if (want_boundary && y >= e.first && y <= e.last) {
        const int64_t span = e.hi - e.lo + 1;
        for_each_run(e.edge.data() + (y - e.first) * span, span, [&](int64_t b, int64_t x) {
          add_run(t.sums, t, y, e.lo * 64 + b, e.lo * 64 + x, boundary.data() + j * k);
        });
      }
    }
  for (int64_t q = begin; q < end; ++q) {
    const int64_t j = q - begin;
    const uint64_t *mask = masks + q * h * wpr;
    if (out.area) out.area[q] = pixels[j];
    for (int64_t m = 0; m < k; ++m) {
      const int64_t at = m * p + q;
      if (out.sum_inside) out.sum_inside[at] = static_cast<float>(inside[j * k + m]);
      if (out.sum_boundary) out.sum_boundary[at] = static_cast<float>(boundary[j * k + m]);
      if (out.inter) out.inter[at] = inter[j * k + m];
      if (out.uni) out.uni[at] = pixels[j] + t.thresholded[m] - inter[j * k + m];
      if (out.contains) {
        const int64_t py = points[2 * m], px = points[2 * m + 1];
        const bool in = py >= 0 && py < h && px >= 0 && px < w;
        out.contains[at] = in && ((mask[py * wpr + px / 64] >> (px % 64)) & 1);
      }
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

    // Maps go in blocks of kMapBlock, which bounds the tables' memory (12 bytes per pixel and map).
    constexpr int64_t kMapBlock = 32;
    for (int64_t k0 = 0; k0 == 0 || k0 < k; k0 += kMapBlock) {
      const int64_t kb = std::min(kMapBlock, k - k0);
      ws::Tables t{h, w, kb, {}, {}, {}};
      const bool want_sums = kb > 0 && (sum_inside || sum_boundary);
      const bool want_counts = kb > 0 && (inter || uni);
      if (want_sums || want_counts)
        ws::build_tables(maps + k0 * h * w, thresholds ? thresholds + k0 : nullptr, want_sums,
                         want_counts, t);
      auto rows = [&](auto *out) { return out ? out + k0 * p : nullptr; };
      const ws::Outputs out{rows(sum_inside), rows(inter),    rows(uni),
                            rows(sum_boundary), rows(contains), k0 == 0 ? area : nullptr};
      const int32_t *block_points = points ? points + 2 * k0 : nullptr;
      // Few, large chunks: each walks the tables' rows once (see score_chunk).
      const int64_t threads = ws::num_threads();
      const int64_t grain = std::max<int64_t>(8, (p + 2 * threads - 1) / (2 * threads));
      std::vector<ws::Scratch> scratch(ws::worker_count(p, grain));
      ws::parallel_for(p, grain, [&](int64_t begin, int64_t end, int worker) {
        ws::score_chunk(masks, p, begin, end, t, block_points, boundary_radius, want_sums,
                        want_counts, out, scratch[worker]);
      });
    }
  });
}
