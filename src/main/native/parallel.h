// A small parallel_for over std::thread. No OpenMP: the library shares its JVM with LibTorch's
// OpenMP runtime, and two OpenMP runtimes in one process fight over threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ws {

int num_threads();             // configured worker count (>= 1)
void set_num_threads(int n);   // <= 0: all hardware threads

// Workers parallel_for(n, grain, ...) will use: 1 when the range is one chunk.
inline int worker_count(int64_t n, int64_t grain) {
  int64_t chunks = (n + grain - 1) / std::max<int64_t>(grain, 1);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), chunks)));
}

// Calls body(begin, end, worker) over [0, n) in chunks of `grain`, handed out dynamically;
// worker is in [0, worker_count(n, grain)) so callers can keep per-worker scratch. The calling
// thread is worker 0. The first exception of any worker is rethrown here.
template <class F>
void parallel_for(int64_t n, int64_t grain, F &&body) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  int workers = worker_count(n, grain);
  if (workers == 1) {
    body(int64_t{0}, n, 0);
    return;
  }
  std::atomic<int64_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_lock;
  auto run = [&](int worker) {
    try {
      for (int64_t begin; (begin = next.fetch_add(grain)) < n;)
        body(begin, std::min(n, begin + grain), worker);
    } catch (...) {
      std::lock_guard<std::mutex> guard(failure_lock);
      if (!failure) failure = std::current_exception();
      next.store(n);
    }
  };
  std::vector<std::thread> threads;
  try {
    for (int t = 1; t < workers; ++t) threads.emplace_back(run, t);
  } catch (...) {
    next.store(n);
    for (auto &t : threads) t.join();
    throw;
  }
  run(0);
  for (auto &t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace ws
