package io.wiseseg.kernels;

import io.wiseseg.util.Trace;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Trace}'s spans as NVTX ranges through the CUDA library's {@code ws_range_push} /
 * {@code ws_range_pop}, so Nsight Systems shows wiseseg's stages by name on each thread's
 * timeline, with or without {@code --trace}. Set once, by the first CUDA {@link Device}; a process
 * without one never sets it, and its spans stay as cheap as without NVTX.
 */
final class NvtxRanges implements Trace.RangeSink {
    /**
     * Span names are a few dozen constants: each becomes a C string once, kept for the process.
     * Past this many (a caller naming spans by data), a name is copied per push instead.
     */
    static final int MAX_KEPT_NAMES = 1024;

    private static volatile boolean installed;

    private final NativeLibrary lib;
    private final ConcurrentHashMap<String, MemorySegment> names = new ConcurrentHashMap<>();

    NvtxRanges(NativeLibrary lib) {
        this.lib = lib;
    }

    /** Sends every span of this process to {@code lib}'s ranges from now on; later calls do nothing. */
    static void install(NativeLibrary lib) {
        if (!installed) {
            synchronized (NvtxRanges.class) {
                if (!installed) {
                    Trace.rangesTo(new NvtxRanges(lib));
                    installed = true;
                }
            }
        }
    }

    /** Whether spans go to NVTX in this process (a CUDA device was made). */
    static boolean installed() {
        return installed;
    }

    @Override
    public void push(String name) {
        MemorySegment cName = names.get(name);
        if (cName == null && names.size() >= MAX_KEPT_NAMES) {
            try (Arena arena = Arena.ofConfined()) { // NVTX copies the name during the call
                lib.check(lib.rangePush(arena.allocateFrom(name)), "ws_range_push");
            }
            return;
        }
        if (cName == null) {
            cName = names.computeIfAbsent(name, n -> Arena.global().allocateFrom(n));
        }
        lib.check(lib.rangePush(cName), "ws_range_push");
    }

    @Override
    public void pop() {
        lib.check(lib.rangePop(), "ws_range_pop");
    }

    /** A recorded span's time covers its GPU work: wait for this thread's current CUDA stream. */
    @Override
    public void settle() {
        org.bytedeco.pytorch.global.torch_cuda.getCurrentCUDAStream().synchronize();
    }

    /** How many names are kept as C strings. */
    int keptNames() {
        return names.size();
    }

    @Override
    public String toString() {
        return "NVTX ranges of " + lib.file;
    }
}
