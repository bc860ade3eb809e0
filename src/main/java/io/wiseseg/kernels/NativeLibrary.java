package io.wiseseg.kernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import org.bytedeco.javacpp.Loader;

/**
 * One loaded kernel library (libwiseseg_cpu.so or libwiseseg_cuda.so) and a typed Java method for
 * every function in {@code wiseseg_kernels.h}. Nothing outside this class sees a MethodHandle: the
 * kernel classes call these methods, which return the C function's status as it is.
 *
 * <p>Each function has one downcall handle, built once in a {@code static final} field and
 * called with {@code invokeExact} on the exact Java types of its descriptor (no boxing, no
 * argument array). The handles take the function's address as their first argument
 * ({@link Linker#downcallHandle(FunctionDescriptor, Linker.Option...)}), so the CPU and the CUDA
 * library share them and each instance holds only its addresses. Measured on a 14-argument call
 * that returns at once: about 19 ns, against 26 ns with the handles in instance fields and
 * 220 ns when each call boxed its arguments into an array (bench/RESULTS.md, 2026-12-01). No handle is
 * {@code critical}: the kernels run for milliseconds on worker threads, or synchronise a CUDA
 * stream, and the trivial functions are called once; it saved about 1 ns a call.
 */
final class NativeLibrary {
    static final int ABI_VERSION = 3;
    private static final String PLATFORM = "linux-x86_64";

    private static final MethodHandle WS_ABI_VERSION = downcall(FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle WS_LAST_ERROR = downcall(FunctionDescriptor.of(ADDRESS));
    private static final MethodHandle WS_BACKEND_NAME = downcall(FunctionDescriptor.of(ADDRESS));
    private static final MethodHandle WS_CPU_ISA = downcall(FunctionDescriptor.of(ADDRESS));
    private static final MethodHandle WS_SET_NUM_THREADS = downcall(FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle WS_GET_NUM_THREADS = downcall(FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle WS_DEVICE_COUNT = downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle WS_DEVICE_NAME = downcall(
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle WS_SET_DEVICE = downcall(FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle WS_SYNCHRONIZE = downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle WS_RANGE_PUSH = downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle WS_RANGE_POP = downcall(FunctionDescriptor.of(JAVA_INT));
    // ws_peak_find(maps, n, c, h, w, win, thresholds, capacity, peaks, values, count,
    //              aggregation, peak_counts, medians, stream)
    private static final MethodHandle WS_PEAK_FIND = downcall(FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG,
            ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    // ws_proposal_score(masks, p, h, w, maps, k, thresholds, points, boundary_radius,
    //                   sum_inside, inter, uni, sum_boundary, contains, area, stream)
    private static final MethodHandle WS_PROPOSAL_SCORE = downcall(FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS,
            JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    // ws_roi_align_forward(input, n, c, h, w, rois, r, ph, pw, scale, sampling, aligned, out, stream)
    private static final MethodHandle WS_ROI_ALIGN_FORWARD = downcall(FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT,
            JAVA_INT, JAVA_FLOAT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    // ws_roi_align_backward(grad_out, rois, r, n, c, h, w, ph, pw, scale, sampling, aligned,
    //                       grad_in, stream)
    private static final MethodHandle WS_ROI_ALIGN_BACKWARD = downcall(FunctionDescriptor.of(JAVA_INT,
            ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT,
            JAVA_INT, JAVA_FLOAT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    // ws_fpn_level_assign(rois, r, k_min, k_max, canonical_scale, canonical_level, eps, levels, stream)
    private static final MethodHandle WS_FPN_LEVEL_ASSIGN = downcall(FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_INT, JAVA_FLOAT, ADDRESS,
            ADDRESS));
    // ws_nms(boxes, scores, n, iou_threshold, keep, num_kept, stream)
    private static final MethodHandle WS_NMS = downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
            JAVA_LONG, JAVA_FLOAT, ADDRESS, ADDRESS, ADDRESS));
    // ws_batched_nms(boxes, scores, groups, n, iou_threshold, keep, num_kept, stream)
    private static final MethodHandle WS_BATCHED_NMS = downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS,
            ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, ADDRESS, ADDRESS, ADDRESS));

    final String name;
    /** The file this library was loaded from (in JavaCPP's cache when it came from a jar). */
    final Path file;
    // the addresses of the header's functions in this library
    private final MemorySegment abiVersionSymbol, lastErrorSymbol, backendNameSymbol, cpuIsaSymbol;
    private final MemorySegment setNumThreadsSymbol, getNumThreadsSymbol, deviceCountSymbol, deviceNameSymbol;
    private final MemorySegment setDeviceSymbol, synchronizeSymbol, peakFindSymbol, proposalScoreSymbol;
    private final MemorySegment roiAlignForwardSymbol, roiAlignBackwardSymbol, fpnLevelAssignSymbol;
    private final MemorySegment nmsSymbol, batchedNmsSymbol, rangePushSymbol, rangePopSymbol;

    private NativeLibrary(String name, SymbolLookup lookup, Path file) {
        this.name = name;
        this.file = file;
        abiVersionSymbol = symbol(lookup, "ws_abi_version");
        lastErrorSymbol = symbol(lookup, "ws_last_error");
        backendNameSymbol = symbol(lookup, "ws_backend_name");
        cpuIsaSymbol = symbol(lookup, "ws_cpu_isa");
        setNumThreadsSymbol = symbol(lookup, "ws_set_num_threads");
        getNumThreadsSymbol = symbol(lookup, "ws_get_num_threads");
        deviceCountSymbol = symbol(lookup, "ws_device_count");
        deviceNameSymbol = symbol(lookup, "ws_device_name");
        setDeviceSymbol = symbol(lookup, "ws_set_device");
        synchronizeSymbol = symbol(lookup, "ws_synchronize");
        peakFindSymbol = symbol(lookup, "ws_peak_find");
        proposalScoreSymbol = symbol(lookup, "ws_proposal_score");
        roiAlignForwardSymbol = symbol(lookup, "ws_roi_align_forward");
        roiAlignBackwardSymbol = symbol(lookup, "ws_roi_align_backward");
        fpnLevelAssignSymbol = symbol(lookup, "ws_fpn_level_assign");
        nmsSymbol = symbol(lookup, "ws_nms");
        batchedNmsSymbol = symbol(lookup, "ws_batched_nms");
        rangePushSymbol = symbol(lookup, "ws_range_push");
        rangePopSymbol = symbol(lookup, "ws_range_pop");
        int abi = abiVersion();
        if (abi != ABI_VERSION) {
            throw new IllegalStateException(file + " has kernel ABI version " + abi
                    + " but this wiseseg expects " + ABI_VERSION + ": rebuild with ./mvnw package");
        }
    }

    /** The environment variable that caps the CPU kernels' multiversioned code path. */
    static final String MAX_ISA_VARIABLE = "WISESEG_MAX_CPU_ISA";

    /**
     * Loads lib{name}.so: from -Dwiseseg.native.dir if set, else from the class path: a file of
     * target/classes as it is, one inside a jar extracted first (see {@link #extract}).
     */
    static NativeLibrary load(String name) {
        String cap = System.getenv(MAX_ISA_VARIABLE);
        if (cap != null && !cap.equalsIgnoreCase("default") && !cap.equalsIgnoreCase("avx2")) {
            throw new IllegalStateException(MAX_ISA_VARIABLE + "=" + cap + " is not a kernel code path: use default "
                    + "(baseline x86-64) or avx2, or unset it for the CPU's best");
        }
        Path file = locate(name);
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(file, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("could not load the kernel library " + file + ": " + e.getMessage(), e);
        }
        return new NativeLibrary(name, lookup, file);
    }

    private static Path locate(String name) {
        String fileName = "lib" + name + ".so";
        String dir = System.getProperty("wiseseg.native.dir");
        if (dir != null) {
            Path p = Path.of(dir, fileName);
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException("wiseseg.native.dir=" + dir + " holds no " + fileName);
            }
            return p;
        }
        String resource = "native/" + PLATFORM + "/" + fileName;
        URL url = NativeLibrary.class.getResource(resource);
        if (url == null) {
            throw new IllegalStateException(name.endsWith("cuda")
                    ? fileName + " was not built (the build found no nvcc, or ran with -Dwiseseg.cuda=OFF)"
                    : "the kernel library " + fileName + " is not on the class path (io/wiseseg/kernels/"
                            + resource + "); build it with ./mvnw package");
        }
        if ("file".equals(url.getProtocol())) {
            try {
                return Path.of(url.toURI());
            } catch (java.net.URISyntaxException e) {
                throw new IllegalStateException("the kernel library's class-path URL " + url + " is not a file: "
                        + e.getMessage(), e);
            }
        }
        Path cache;
        try {
            // JavaCPP's cache, where LibTorch's libraries go too: one folder (and one
            // -Dorg.bytedeco.javacpp.cachedir) for every native library the jar brings
            cache = Loader.getCacheDir().toPath();
        } catch (IOException e) {
            throw new UncheckedIOException("could not create JavaCPP's cache folder to extract " + fileName + " into ("
                    + e.getMessage() + "); set -Dorg.bytedeco.javacpp.cachedir to a writable folder", e);
        }
        return extract(url, fileName, cache);
    }

    /**
     * Copies a library out of the jar (dlopen needs a file) to
     * {@code cache/wiseseg/<platform>-<sha256 of its bytes>/fileName} and returns that file.
     *
     * <p>Why this way: naming the folder by the content means a jar of another build never loads
     * a stale copy and the same jar reuses its copy across runs (no temp file per JVM left behind
     * by a killed process). The file appears by an atomic rename of a complete temp file written
     * in the same folder, so JVMs extracting at the same time each see a whole library: the last
     * rename wins with identical bytes, and a library another JVM already mapped keeps its inode.
     */
    static Path extract(URL url, String fileName, Path cache) {
        byte[] bytes;
        try (InputStream in = url.openStream()) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the kernel library " + url + ": " + e.getMessage(), e);
        }
        Path dir = cache.resolve("wiseseg").resolve(PLATFORM + "-" + sha256(bytes).substring(0, 16));
        Path file = dir.resolve(fileName);
        try {
            if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), bytes)) {
                return file;
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, fileName + ".", ".part");
            try {
                Files.write(tmp, bytes);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not extract the kernel library " + fileName + " to " + file + ": "
                    + e + "; set -Dorg.bytedeco.javacpp.cachedir to a writable folder", e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256, which every JDK must provide", e);
        }
    }

    private static MethodHandle downcall(FunctionDescriptor fd) {
        return Linker.nativeLinker().downcallHandle(fd);
    }

    private static MemorySegment symbol(SymbolLookup lookup, String symbol) {
        return lookup.find(symbol).orElseThrow(() -> new IllegalStateException(
                "kernel library lacks symbol " + symbol + ": rebuild with ./mvnw package"));
    }

    /**
     * What a downcall threw, for the caller to throw: a RuntimeException (e.g. a heap segment
     * passed as an address) as it is, an Error thrown here; a checked Throwable is never expected.
     */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    // ---- the header's functions, one typed method each; every int result is the C status ----

    int abiVersion() {
        try {
            return (int) WS_ABI_VERSION.invokeExact(abiVersionSymbol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The last failed call's message on this thread (a NUL-terminated C string, or NULL). */
    MemorySegment lastError() {
        try {
            return (MemorySegment) WS_LAST_ERROR.invokeExact(lastErrorSymbol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment backendName() {
        try {
            return (MemorySegment) WS_BACKEND_NAME.invokeExact(backendNameSymbol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment cpuIsaName() {
        try {
            return (MemorySegment) WS_CPU_ISA.invokeExact(cpuIsaSymbol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int setNumThreads(int n) {
        try {
            return (int) WS_SET_NUM_THREADS.invokeExact(setNumThreadsSymbol, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int getNumThreads() {
        try {
            return (int) WS_GET_NUM_THREADS.invokeExact(getNumThreadsSymbol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int deviceCount(MemorySegment count) {
        try {
            return (int) WS_DEVICE_COUNT.invokeExact(deviceCountSymbol, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int deviceName(int device, MemorySegment buf, int len) {
        try {
            return (int) WS_DEVICE_NAME.invokeExact(deviceNameSymbol, device, buf, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int setDevice(int device) {
        try {
            return (int) WS_SET_DEVICE.invokeExact(setDeviceSymbol, device);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int synchronize(MemorySegment stream) {
        try {
            return (int) WS_SYNCHRONIZE.invokeExact(synchronizeSymbol, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int peakFind(MemorySegment maps, long n, long c, long h, long w, int win, MemorySegment thresholds,
            long capacity, MemorySegment peaks, MemorySegment values, MemorySegment count,
            MemorySegment aggregation, MemorySegment peakCounts, MemorySegment medians, MemorySegment stream) {
        try {
            return (int) WS_PEAK_FIND.invokeExact(peakFindSymbol, maps, n, c, h, w, win, thresholds, capacity,
                    peaks, values, count, aggregation, peakCounts, medians, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int proposalScore(MemorySegment masks, long p, long h, long w, MemorySegment maps, long k,
            MemorySegment thresholds, MemorySegment points, int boundaryRadius, MemorySegment sumInside,
            MemorySegment inter, MemorySegment uni, MemorySegment sumBoundary, MemorySegment contains,
            MemorySegment area, MemorySegment stream) {
        try {
            return (int) WS_PROPOSAL_SCORE.invokeExact(proposalScoreSymbol, masks, p, h, w, maps, k, thresholds,
                    points, boundaryRadius, sumInside, inter, uni, sumBoundary, contains, area, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int roiAlignForward(MemorySegment input, long n, long c, long h, long w, MemorySegment rois, long r,
            int pooledH, int pooledW, float spatialScale, int samplingRatio, int aligned, MemorySegment output,
            MemorySegment stream) {
        try {
            return (int) WS_ROI_ALIGN_FORWARD.invokeExact(roiAlignForwardSymbol, input, n, c, h, w, rois, r,
                    pooledH, pooledW, spatialScale, samplingRatio, aligned, output, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int roiAlignBackward(MemorySegment gradOutput, MemorySegment rois, long r, long n, long c, long h,
            long w, int pooledH, int pooledW, float spatialScale, int samplingRatio, int aligned,
            MemorySegment gradInput, MemorySegment stream) {
        try {
            return (int) WS_ROI_ALIGN_BACKWARD.invokeExact(roiAlignBackwardSymbol, gradOutput, rois, r, n, c, h,
                    w, pooledH, pooledW, spatialScale, samplingRatio, aligned, gradInput, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int fpnLevelAssign(MemorySegment rois, long r, int kMin, int kMax, float canonicalScale,
            int canonicalLevel, float eps, MemorySegment levels, MemorySegment stream) {
        try {
            return (int) WS_FPN_LEVEL_ASSIGN.invokeExact(fpnLevelAssignSymbol, rois, r, kMin, kMax, canonicalScale,
                    canonicalLevel, eps, levels, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int nms(MemorySegment boxes, MemorySegment scores, long n, float iouThreshold, MemorySegment keep,
            MemorySegment numKept, MemorySegment stream) {
        try {
            return (int) WS_NMS.invokeExact(nmsSymbol, boxes, scores, n, iouThreshold, keep, numKept, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int batchedNms(MemorySegment boxes, MemorySegment scores, MemorySegment groups, long n,
            float iouThreshold, MemorySegment keep, MemorySegment numKept, MemorySegment stream) {
        try {
            return (int) WS_BATCHED_NMS.invokeExact(batchedNmsSymbol, boxes, scores, groups, n, iouThreshold, keep,
                    numKept, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Pushes a profiler range named by a NUL-terminated C string on this thread (NVTX on CUDA). */
    int rangePush(MemorySegment name) {
        try {
            return (int) WS_RANGE_PUSH.invokeExact(rangePushSymbol, name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int rangePop() {
        try {
            return (int) WS_RANGE_POP.invokeExact(rangePopSymbol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- helpers over the raw functions ----

    /** Throws a {@link KernelException} with the library's message when status != 0. */
    void check(int status, String operation) {
        if (status != 0) {
            throw new KernelException(operation, status, lastErrorMessage());
        }
    }

    String lastErrorMessage() {
        MemorySegment s = lastError();
        return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(4096).getString(0);
    }

    /** The CPU kernels' code path in this process: "avx2", "default", or "none" (CUDA library). */
    String cpuIsa() {
        MemorySegment s = cpuIsaName();
        return s.reinterpret(64).getString(0);
    }

    String backend() {
        MemorySegment s = backendName();
        return s.reinterpret(64).getString(0);
    }
}
