// Error handling at the C boundary: kernels throw, the entry point turns that into a status code
// and a thread-local message, so no C++ exception ever crosses the ABI.
#pragma once

#include <cstdint>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "wiseseg_kernels.h"

namespace ws {

// A bad argument; the message names it.
struct ArgumentError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// A CUDA runtime error (CUDA library only); the message carries cudaGetErrorString.
struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void set_last_error(const std::string &message);

inline void require(bool ok, const char *message) {
  if (!ok) throw ArgumentError(message);
}

// Runs `body`, mapping exceptions to WS_ERR_* codes.
template <class F>
int32_t guarded(const char *function, F &&body) {
  try {
    body();
    return WS_OK;
  } catch (const ArgumentError &e) {
    set_last_error(std::string(function) + ": " + e.what());
    return WS_ERR_ARGUMENT;
  } catch (const CudaError &e) {
    set_last_error(std::string(function) + ": " + e.what());
    return WS_ERR_CUDA;
  } catch (const std::bad_alloc &) {
    set_last_error(std::string(function) + ": out of memory");
    return WS_ERR_INTERNAL;
  } catch (const std::exception &e) {
    set_last_error(std::string(function) + ": " + e.what());
    return WS_ERR_INTERNAL;
  } catch (...) {
    set_last_error(std::string(function) + ": unknown error");
    return WS_ERR_INTERNAL;
  }
}

}  // namespace ws
