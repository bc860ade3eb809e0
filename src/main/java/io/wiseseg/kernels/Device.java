package io.wiseseg.kernels;

import io.wiseseg.util.TorchRuntime;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Where the kernels run: the CPU library, or the CUDA library on one GPU. The CUDA library is
 * used only when it loads and a GPU answers; {@link #best()} falls back to the CPU with one log
 * line that says why.
 */
public final class Device {
    public enum Kind { CPU, CUDA }

    private static final System.Logger LOG = System.getLogger("io.wiseseg.kernels");
    private static volatile Device cpu;
    private static volatile Device best;

    private final Kind kind;
    private final int index;
    private final String description;
    final NativeLibrary lib;

    private Device(Kind kind, int index, String description, NativeLibrary lib) {
        // every kernel class taking LibTorch tensors needs a Device: load LibTorch safely first
        TorchRuntime.ensureLoaded();
        this.kind = kind;
        this.index = index;
        this.description = description;
        this.lib = lib;
        if (kind == Kind.CUDA) {
            NvtxRanges.install(lib); // from now on Trace's spans are NVTX ranges too
        }
    }

    /** The CPU kernels (always available once the project is built). */
    public static Device cpu() {
        Device d = cpu;
        if (d == null) {
            synchronized (Device.class) {
                if (cpu == null) {
                    NativeLibrary lib = NativeLibrary.load("wiseseg_cpu");
                    int threads = lib.getNumThreads();
                    cpu = new Device(Kind.CPU, 0, "CPU (" + threads + " threads, " + lib.cpuIsa() + " path)", lib);
                }
                d = cpu;
            }
        }
        return d;
    }

    /** GPU {@code index} through the CUDA library; throws with the reason when unavailable. */
    public static Device cuda(int index) {
        NativeLibrary lib;
        try {
            lib = NativeLibrary.load("wiseseg_cuda");
        } catch (RuntimeException e) {
            throw new IllegalStateException("CUDA kernels unavailable: " + e.getMessage(), e);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            int status = lib.deviceCount(count);
            if (status != 0) {
                throw new IllegalStateException("CUDA kernels unavailable: " + lib.lastErrorMessage());
            }
            int n = count.get(ValueLayout.JAVA_INT, 0);
            if (index < 0 || index >= n) {
                throw new IllegalStateException("CUDA device " + index + " requested, " + n + " visible");
            }
            MemorySegment name = arena.allocate(256);
            lib.check(lib.deviceName(index, name, 256), "ws_device_name");
            return new Device(Kind.CUDA, index, "CUDA " + index + " (" + name.getString(0) + ")", lib);
        }
    }

    /** CUDA device 0 when a GPU answers, else the CPU; logs its choice once. */
    public static Device best() {
        Device d = best;
        if (d == null) {
            synchronized (Device.class) {
                if (best == null) {
                    String why = "";
                    try {
                        best = cuda(0);
                    } catch (IllegalStateException e) {
                        best = cpu();
                        why = " (" + e.getMessage() + ")";
                    }
                    LOG.log(System.Logger.Level.INFO, "kernels on " + best.description + why);
                }
                d = best;
            }
        }
        return d;
    }

    /** Why the CUDA kernels are not usable here, or null when they are. */
    public static String cudaUnavailableReason() {
        try {
            cuda(0);
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    public Kind kind() {
        return kind;
    }

    public int index() {
        return index;
    }

    /**
     * CPU: the code path of the multiversioned kernels in this process, "avx2" or "default" (the
     * CPU's best, capped by the environment variable {@code WISESEG_MAX_CPU_ISA}); CUDA: "none".
     */
    public String cpuIsa() {
        return lib.cpuIsa();
    }

    /**
     * The kernel library file this device runs: target/classes' in a build tree, a copy in
     * JavaCPP's cache folder when the library came from the jar, or -Dwiseseg.native.dir's.
     */
    public java.nio.file.Path libraryFile() {
        return lib.file;
    }

    /** e.g. "CPU (2 threads, avx2 path)" or "CUDA 0 (NVIDIA H200)". */
    public String description() {
        return description;
    }

    /** CPU only: the number of kernel worker threads (<= 0: all hardware threads). */
    public void setNumThreads(int n) {
        lib.check(lib.setNumThreads(n), "ws_set_num_threads");
    }

    /** Runs a kernel call on this device: selects the GPU first on CUDA. */
    void activate() {
        if (kind == Kind.CUDA) {
            lib.check(lib.setDevice(index), "ws_set_device");
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
