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

/**
 * One loaded kernel library (libwiseseg_cpu.so or libwiseseg_cuda.so) and the method handles of
 * every function in {@code wiseseg_kernels.h}, built once. Nothing outside this package sees a
 * MethodHandle: the kernel classes wrap them in typed methods.
 */
final class NativeLibrary {
    static final int ABI_VERSION = 2;
    private static final String PLATFORM = "linux-x86_64";

    final String name;
    final MethodHandle abiVersion, lastError, backendName, cpuIsa, setNumThreads, getNumThreads;
    final MethodHandle deviceCount, deviceName, setDevice, synchronize;
    final MethodHandle peakFind, proposalScore, roiAlignForward, roiAlignBackward, fpnLevelAssign;
    final MethodHandle nms, batchedNms;

    private NativeLibrary(String name, SymbolLookup lookup) {
        this.name = name;
        Linker linker = Linker.nativeLinker();
        abiVersion = bind(linker, lookup, "ws_abi_version", FunctionDescriptor.of(JAVA_INT));
        lastError = bind(linker, lookup, "ws_last_error", FunctionDescriptor.of(ADDRESS));
        backendName = bind(linker, lookup, "ws_backend_name", FunctionDescriptor.of(ADDRESS));
        cpuIsa = bind(linker, lookup, "ws_cpu_isa", FunctionDescriptor.of(ADDRESS));
        setNumThreads = bind(linker, lookup, "ws_set_num_threads", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        getNumThreads = bind(linker, lookup, "ws_get_num_threads", FunctionDescriptor.of(JAVA_INT));
        deviceCount = bind(linker, lookup, "ws_device_count", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        deviceName = bind(linker, lookup, "ws_device_name",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
        setDevice = bind(linker, lookup, "ws_set_device", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        synchronize = bind(linker, lookup, "ws_synchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        // ws_peak_find(maps, n, c, h, w, win, thresholds, capacity, peaks, values, count,
        //              aggregation, peak_counts, medians, stream)
        peakFind = bind(linker, lookup, "ws_peak_find", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        // ws_proposal_score(masks, p, h, w, maps, k, thresholds, points, boundary_radius,
        //                   sum_inside, inter, uni, sum_boundary, contains, area, stream)
        proposalScore = bind(linker, lookup, "ws_proposal_score", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        // ws_roi_align_forward(input, n, c, h, w, rois, r, ph, pw, scale, sampling, aligned, out, stream)
        roiAlignForward = bind(linker, lookup, "ws_roi_align_forward", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT,
                JAVA_INT, JAVA_FLOAT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        // ws_roi_align_backward(grad_out, rois, r, n, c, h, w, ph, pw, scale, sampling, aligned,
        //                       grad_in, stream)
        roiAlignBackward = bind(linker, lookup, "ws_roi_align_backward", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT,
                JAVA_INT, JAVA_FLOAT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        // ws_fpn_level_assign(rois, r, k_min, k_max, canonical_scale, canonical_level, eps, levels, stream)
        fpnLevelAssign = bind(linker, lookup, "ws_fpn_level_assign", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_INT, JAVA_FLOAT, ADDRESS,
                ADDRESS));
        // ws_nms(boxes, scores, n, iou_threshold, keep, num_kept, stream)
        nms = bind(linker, lookup, "ws_nms", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                JAVA_LONG, JAVA_FLOAT, ADDRESS, ADDRESS, ADDRESS));
        // ws_batched_nms(boxes, scores, groups, n, iou_threshold, keep, num_kept, stream)
        batchedNms = bind(linker, lookup, "ws_batched_nms", FunctionDescriptor.of(JAVA_INT, ADDRESS,
                ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, ADDRESS, ADDRESS, ADDRESS));
        int abi = (int) invoke(abiVersion);
        if (abi != ABI_VERSION) {
            throw new IllegalStateException("lib" + name + ".so has kernel ABI version " + abi
                    + " but this wiseseg expects " + ABI_VERSION + ": rebuild with ./mvnw package");
        }
    }

    /** The environment variable that caps the CPU kernels' multiversioned code path. */
    static final String MAX_ISA_VARIABLE = "WISESEG_MAX_CPU_ISA";

    /** Loads lib{name}.so: from -Dwiseseg.native.dir if set, else from the class path. */
    static NativeLibrary load(String name) {
        String cap = System.getenv(MAX_ISA_VARIABLE);
        if (cap != null && !cap.equalsIgnoreCase("default") && !cap.equalsIgnoreCase("avx2")) {
            throw new IllegalStateException(MAX_ISA_VARIABLE + "=" + cap + " is not a kernel code path: use default "
                    + "(baseline x86-64) or avx2, or unset it for the CPU's best");
        }
        Path file = locate(name);
        SymbolLookup lookup = SymbolLookup.libraryLookup(file, Arena.global());
        return new NativeLibrary(name, lookup);
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
        try {
            if ("file".equals(url.getProtocol())) {
                return Path.of(url.toURI());
            }
            // inside a jar: dlopen needs a file
            Path tmp = Files.createTempFile("wiseseg-", "-" + fileName);
            tmp.toFile().deleteOnExit();
            try (InputStream in = url.openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException("could not extract " + fileName + ": " + e.getMessage(), e);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static MethodHandle bind(Linker linker, SymbolLookup lookup, String symbol,
            FunctionDescriptor fd) {
        MemorySegment address = lookup.find(symbol).orElseThrow(() -> new IllegalStateException(
                "kernel library lacks symbol " + symbol + ": rebuild with ./mvnw package"));
        return linker.downcallHandle(address, fd);
    }

    /** Invokes a handle, turning Throwable (never expected from a downcall) into an Error. */
    static Object invoke(MethodHandle h, Object... args) {
        try {
            return h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Throws a {@link KernelException} with the library's message when status != 0. */
    void check(int status, String operation) {
        if (status != 0) {
            throw new KernelException(operation, status, lastErrorMessage());
        }
    }

    String lastErrorMessage() {
        MemorySegment s = (MemorySegment) invoke(lastError);
        return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(4096).getString(0);
    }

    /** The CPU kernels' code path in this process: "avx2", "default", or "none" (CUDA library). */
    String cpuIsa() {
        MemorySegment s = (MemorySegment) invoke(cpuIsa);
        return s.reinterpret(64).getString(0);
    }

    String backend() {
        MemorySegment s = (MemorySegment) invoke(backendName);
        return s.reinterpret(64).getString(0);
    }
}
