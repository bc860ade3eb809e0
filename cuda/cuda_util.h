// CUDA helpers: error checks that throw ws::CudaError, stream-ordered device buffers.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "status.h"

namespace ws {

inline void cuda_check(cudaError_t status, const char *what) {
  if (status != cudaSuccess)
    throw CudaError(std::string(what) + ": " + cudaGetErrorString(status));
}

// Checks the launch of the kernel just queued.
inline void launch_check(const char *kernel) { cuda_check(cudaGetLastError(), kernel); }

inline cudaStream_t as_stream(void *stream) { return static_cast<cudaStream_t>(stream); }

// Device memory allocated and freed in stream order.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer(int64_t count, cudaStream_t stream) : stream_(stream) {
    if (count > 0)
      cuda_check(cudaMallocAsync(reinterpret_cast<void **>(&data_), sizeof(T) * count, stream),
                 "cudaMallocAsync");
  }
  ~DeviceBuffer() {
    if (data_) cudaFreeAsync(data_, stream_);
  }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  T *get() const { return data_; }

 private:
  T *data_ = nullptr;
  cudaStream_t stream_;
};

inline int blocks_for(int64_t threads, int per_block) {
  return static_cast<int>((threads + per_block - 1) / per_block);
}

}  // namespace ws
