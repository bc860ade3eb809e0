package io.wiseseg.kernels;

import io.wiseseg.util.TorchRuntime;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Where a stage runs: its networks' parameters, its input and intermediate tensors, and our
 * kernels (the CPU library, or the CUDA library on one GPU, on LibTorch's current CUDA stream).
 * {@link #parse} reads the {@code --device cpu|cuda[:N]} of the command line and the library API;
 * {@link #best()} picks a GPU for the kernels when one answers, else the CPU with one log line.
 */
public final class Device {
    public enum Kind { CPU, CUDA }

    private static final System.Logger LOG = System.getLogger("io.wiseseg.kernels");
    private static volatile Device cpu;
    private static volatile Device best;
    private static final java.util.Map<Integer, Device> CUDA = new java.util.concurrent.ConcurrentHashMap<>();

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

    /**
     * The device a user named: {@code cpu}, {@code cuda} (GPU 0) or {@code cuda:N}. A GPU needs
     * both LibTorch's CUDA build (the {@code gpu} Maven profile) and our CUDA kernels; when either
     * is missing the IllegalArgumentException says in one line what to install or rebuild.
     */
    public static Device parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) {
            return cpu();
        }
        int index;
        if (s.equals("cuda")) {
            index = 0;
        } else if (s.startsWith("cuda:") && s.substring(5).matches("[0-9]{1,3}")) {
            index = Integer.parseInt(s.substring(5));
        } else {
            throw new IllegalArgumentException("device " + spec + ": expected cpu, cuda or cuda:N");
        }
        TorchRuntime.ensureLoaded();
        if (!org.bytedeco.pytorch.global.torch.cuda_is_available()) {
            throw new IllegalArgumentException("device " + s + ": " + (torchHasCuda()
                    ? "LibTorch sees no GPU here (no NVIDIA driver, or CUDA_VISIBLE_DEVICES hides it)"
                    : "this build runs LibTorch's CPU-only library; on a machine with an NVIDIA driver "
                            + "run WISESEG_PROFILE=gpu ./wiseseg (it rebuilds with ./mvnw -Pgpu: LibTorch's CUDA "
                            + "jars, and nvcc for our kernels), or use --device cpu"));
        }
        int visible = org.bytedeco.pytorch.global.torch.cuda_device_count();
        if (index >= visible) {
            throw new IllegalArgumentException("device " + s + ": LibTorch sees " + visible + " GPU(s)");
        }
        try {
            return CUDA.computeIfAbsent(index, Device::cuda);
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("device " + s + ": " + e.getMessage()
                    + "; rebuild with nvcc on the PATH (WISESEG_PROFILE=gpu ./wiseseg, or ./mvnw -Pgpu package)", e);
        }
    }

    private static boolean torchHasCuda() {
        try {
            return org.bytedeco.pytorch.global.torch.hasCUDA();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** The device a tensor lives on, for kernels that follow their inputs. */
    public static Device of(org.bytedeco.pytorch.Tensor t) {
        if (t.is_cpu()) {
            return cpu();
        }
        if (t.is_cuda()) {
            return parse("cuda:" + t.device().index());
        }
        throw new IllegalArgumentException("tensor on unsupported device " + t.device().str().getString());
    }

    /**
     * Where a kernel runs for input {@code t}: this device when {@code t} lives here, else
     * {@code t}'s own, so that kernels follow their inputs (CPU library or CUDA library).
     */
    Device follow(org.bytedeco.pytorch.Tensor t) {
        if (t == null || t.isNull()) {
            return this; // the kernel's own checks name the missing argument
        }
        boolean here = kind == Kind.CPU ? t.is_cpu() : t.is_cuda() && t.device().index() == index;
        return here ? this : of(t);
    }

    /** The device of a network's parameters (the CPU for a network without any). */
    public static Device ofModule(org.bytedeco.pytorch.Module module) {
        org.bytedeco.pytorch.TensorVector params = module.parameters(true);
        return params.size() == 0 ? cpu() : of(params.get(0));
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

    /**
     * The stream a kernel call runs on: LibTorch's current CUDA stream for this GPU, so that our
     * kernels are ordered with LibTorch's own ops without a synchronisation; NULL on the CPU.
     */
    MemorySegment stream() {
        if (kind == Kind.CPU) {
            return MemorySegment.NULL;
        }
        // torch_cuda's natives exist only in LibTorch's GPU build: reached only for a CUDA Device,
        // which parse() creates only after LibTorch said it has CUDA
        org.bytedeco.pytorch.cuda.CUDAStream s =
                org.bytedeco.pytorch.global.torch_cuda.getCurrentCUDAStream((byte) index);
        return MemorySegment.ofAddress(s.stream().address());
    }

    /**
     * The most memory LibTorch's CUDA caching allocator has held allocated on this GPU since the
     * process started (its high-water mark, as torch.cuda.max_memory_allocated); -1 on the CPU.
     */
    public long peakAllocatedBytes() {
        if (kind == Kind.CPU) {
            return -1;
        }
        return org.bytedeco.pytorch.global.torch_cuda.getAllocator().getDeviceStats((byte) index)
                .allocated_bytes().peak(); // element 0 of the stat array: all pools together
    }

    /** LibTorch's name for this device: {@code cpu} or {@code cuda:N}. */
    public String torchName() {
        return kind == Kind.CPU ? "cpu" : "cuda:" + index;
    }

    /** LibTorch's device object, for {@code Tensor.to} and TensorOptions. */
    public org.bytedeco.pytorch.Device torchDevice() {
        return new org.bytedeco.pytorch.Device(torchName());
    }

    /** {@code t} on this device: itself when it is there already, else a copy. */
    public org.bytedeco.pytorch.Tensor place(org.bytedeco.pytorch.Tensor t) {
        if (kind == Kind.CPU ? t.is_cpu() : t.is_cuda() && t.device().index() == index) {
            return t;
        }
        return t.to(torchDevice(), t.scalar_type());
    }

    /**
     * Moves a network's parameters and buffers to this device, in place; returns it. LibTorch's
     * Module.to moves each tensor with set_data, so the Java handles our modules keep on their
     * tensors (BatchNorm's running statistics, convolution weights) follow the move.
     */
    public <M extends org.bytedeco.pytorch.Module> M place(M module) {
        org.bytedeco.pytorch.TensorVector params = module.parameters(true);
        if (kind == Kind.CPU && (params.size() == 0 || params.get(0).is_cpu())) {
            return module; // the usual case: built and loaded on the CPU, staying there
        }
        module.to(torchDevice(), false);
        return module;
    }

    /** Tensor options with this device and {@code dtype}. */
    public org.bytedeco.pytorch.TensorOptions options(org.bytedeco.pytorch.global.torch.ScalarType dtype) {
        return new org.bytedeco.pytorch.TensorOptions(dtype)
                .device(new org.bytedeco.pytorch.DeviceOptional(torchDevice()));
    }

    /**
     * Waits for this device's queued work (CUDA: LibTorch's current stream); for timings that must
     * cover a stage's GPU work. A no-op on the CPU.
     */
    public void synchronize() {
        if (kind == Kind.CUDA) {
            org.bytedeco.pytorch.global.torch_cuda.getCurrentCUDAStream((byte) index).synchronize();
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
