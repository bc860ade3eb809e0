package io.wiseseg.util;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * Loads LibTorch (JavaCPP presets) safely. Call {@link #ensureLoaded()} before touching any
 * {@code org.bytedeco.pytorch} class. Every public entry point that may be a program's first
 * LibTorch use calls it: the CLI, {@code pipeline.Segmenter.load}, {@link Tensors}, and
 * {@code kernels.Device} (which every kernel class taking tensors needs).
 *
 * <p>Why: JavaCPP extracts native libraries into its cache lazily, one at a time. On a cold
 * cache {@code libtorch.so} is loaded before {@code libtorch_cpu.so} has been extracted next to
 * it, so the dynamic linker picks any system {@code libtorch_cpu.so} (Debian's python3-torch
 * installs one) and the JVM dies in the first LibTorch call. Extracting the whole platform folder
 * first makes {@code $ORIGIN} resolve to the matching libraries.
 */
public final class TorchRuntime {
    private static volatile boolean loaded;

    private TorchRuntime() {}

    /** Loads LibTorch once; cheap after the first call (one volatile read). */
    public static void ensureLoaded() {
        if (!loaded) {
            load();
        }
    }

    private static synchronized void load() {
        if (loaded) {
            return;
        }
        preferPassiveOpenMpWaits();
        try {
            Loader.cacheResources(torch.class, "/org/bytedeco/pytorch/" + Loader.getPlatform() + "/");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("could not extract LibTorch into the JavaCPP cache ("
                    + e.getMessage() + "); set -Dorg.bytedeco.javacpp.cachedir to a writable folder", e);
        }
        String jni = Loader.load(torch.class);
        keepOpenBlasInTheCallingThread();
        skipNnpackWhereItCannotStart(Path.of(jni).resolveSibling(System.mapLibraryName("torch_cpu")));
        oneThreadPerCore();
        loaded = true;
    }

    /**
     * Gives LibTorch one intra-op thread per physical core where its own count came out lower,
     * unless the user set OMP_NUM_THREADS or MKL_NUM_THREADS.
     *
     * <p>Why: LibTorch counts physical cores with cpuinfo, from cpuid, and some VMs present their
     * vCPUs to cpuid as SMT threads of one core while the kernel schedules them as separate cores:
     * on this project's 2-vCPU build machines LibTorch chose 1 thread, and left the second core
     * idle (a 3×3 convolution of 4×32×96×96: 25 ms on 1 thread, 14 ms on 2; the small Mask R-CNN's
     * training on 240–280 px images: 1.8–1.9 steps/s on 1 thread, 2.4–2.5 on 2; bench/RESULTS.md).
     * The kernel's topology (sysfs: distinct package and core ids) is what the
     * scheduler uses; it is capped by the processors this JVM may use (affinity, cgroup quota).
     */
    private static void oneThreadPerCore() {
        int libtorch = torch.get_num_threads();
        if (System.getenv("OMP_NUM_THREADS") != null || System.getenv("MKL_NUM_THREADS") != null) {
            torchThreads = libtorch + " (from OMP_NUM_THREADS / MKL_NUM_THREADS, set by the user)";
            return;
        }
        int cores = Math.min(physicalCores(Path.of("/sys/devices/system/cpu")),
                Runtime.getRuntime().availableProcessors());
        if (cores > libtorch) {
            torch.set_num_threads(cores);
            torchThreads = cores + " (one per core, set by wiseseg: LibTorch counted " + libtorch
                    + "; OMP_NUM_THREADS overrides)";
        } else {
            torchThreads = libtorch + " (LibTorch's count; OMP_NUM_THREADS overrides)";
        }
    }

    /**
     * Physical cores in a Linux sysfs CPU folder: distinct (physical_package_id, core_id) pairs of
     * its cpuN/topology; 0 where there is no such folder (not Linux) or it cannot be read.
     */
    static int physicalCores(Path sysCpu) {
        try (var cpus = Files.list(sysCpu)) {
            return (int) cpus.filter(p -> p.getFileName().toString().matches("cpu[0-9]+"))
                    .map(p -> p.resolve("topology"))
                    .filter(Files::isDirectory)
                    .map(t -> read(t.resolve("physical_package_id")) + "/" + read(t.resolve("core_id")))
                    .distinct().count();
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** LibTorch's intra-op thread count after loading, and who chose it (after {@link #ensureLoaded()}). */
    public static String torchThreads() {
        ensureLoaded();
        return torchThreads;
    }

    private static volatile String torchThreads = "not loaded";

    /**
     * Switches LibTorch's NNPACK convolutions off where NNPACK cannot start on this CPU, so that
     * LibTorch stops asking for it.
     *
     * <p>Why: LibTorch asks whether NNPACK is available on every convolution that could use it
     * (small single-image ones, which oneDNN leaves to its fallback), and where NNPACK cannot
     * start (a CPU without AVX2, or a VM that hides its cache sizes, as the machines these notes
     * were measured on do) every ask logs "Could not initialize NNPACK! Reason: Unsupported
     * hardware": 8 lines a Mask R-CNN training step, 28,000 in one run's output. Asking NNPACK
     * itself ({@code nnp_initialize}, silent, idempotent) and switching it off only where it
     * failed changes no result: LibTorch then takes the fallback it took anyway.
     */
    private static void skipNnpackWhereItCannotStart(Path torchCpu) {
        try {
            var init = SymbolLookup.libraryLookup(torchCpu, Arena.global()).find("nnp_initialize");
            if (init.isEmpty()) {
                nnpack = "not built into LibTorch";
                return; // LibTorch built without NNPACK never asks
            }
            MethodHandle initialize = Linker.nativeLinker().downcallHandle(init.get(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT));
            int status = (int) initialize.invokeExact();
            if (status != 0) { // nnp_status_success
                torch.globalContext().setUserEnabledNNPACK(false);
                nnpack = "off (NNPACK cannot start on this CPU: nnp_status " + status + ")";
            } else {
                nnpack = "available";
            }
        } catch (Throwable t) { // another layout of the libraries: leave LibTorch's default
            nnpack = "unchanged (" + t.getMessage() + ")";
        }
    }

    /** Whether LibTorch may use NNPACK, and why (after {@link #ensureLoaded()}). */
    public static String nnpack() {
        ensureLoaded();
        return nnpack;
    }

    private static volatile String nnpack = "not loaded";

    /**
     * Sets OpenBLAS (LibTorch's BLAS in these presets: its linear layers' matrix products) to one
     * thread unless the user set OPENBLAS_NUM_THREADS. LibTorch parallelises across its own OpenMP
     * threads; OpenBLAS's separate pthread pool adds nothing to that but harm.
     *
     * <p>Why: a threaded OpenBLAS runs one product at a time for the whole process (its thread
     * server takes a lock), and its idle workers spin. Two threads segmenting on one {@code
     * Segmenter} ran no faster than one (14–16 images/s on the demo's small model, one OpenBLAS
     * worker at 100% of a core); with OpenBLAS on one thread they ran 28–31 images/s, and a
     * single {@code predict} stream took a third less CPU time (bench/RESULTS.md). Done through
     * the library's own {@code openblas_set_num_threads}, so it holds even if OpenBLAS was loaded
     * before us and its environment was already read.
     */
    private static void keepOpenBlasInTheCallingThread() {
        if (System.getenv(OPENBLAS_NUM_THREADS) != null) {
            openBlasThreads = "from OPENBLAS_NUM_THREADS (set by the user)";
            return;
        }
        try {
            String library = Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            SymbolLookup openBlas = SymbolLookup.libraryLookup(Path.of(library), Arena.global());
            Linker linker = Linker.nativeLinker();
            MethodHandle set = linker.downcallHandle(openBlas.findOrThrow("openblas_set_num_threads"),
                    FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
            MethodHandle get = linker.downcallHandle(openBlas.findOrThrow("openblas_get_num_threads"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT));
            set.invokeExact(1);
            int now = (int) get.invokeExact();
            openBlasThreads = now + " (set by wiseseg; OPENBLAS_NUM_THREADS overrides)";
        } catch (Throwable t) { // another BLAS build without these symbols: leave it as it is
            openBlasThreads = "unchanged (" + t.getMessage() + ")";
            System.getLogger("io.wiseseg").log(System.Logger.Level.WARNING,
                    "could not set OpenBLAS to one thread: " + t);
        }
    }

    /** OpenBLAS's own thread count, and who chose it (after {@link #ensureLoaded()}). */
    public static String openBlasThreads() {
        ensureLoaded();
        return openBlasThreads;
    }

    private static volatile String openBlasThreads = "not loaded";
    private static final String OPENBLAS_NUM_THREADS = "OPENBLAS_NUM_THREADS";

    /**
     * Sets OMP_WAIT_POLICY=PASSIVE in this process's C environment unless the user set it, before
     * LibTorch's OpenMP runtime starts (it reads the variable once, when it loads).
     *
     * <p>Why: with the default policy, the threads of a parallel region spin while they wait. On a
     * machine where another job holds a core, a 2-thread region then waits for its descheduled
     * thread while the spinning one burns the other core: the demo's classifier fell from 3.5 to
     * 0.3 training steps/s (bench/classifier_speed.sh; bench/RESULTS.md). Passive waits cost
     * about 10% on an idle machine and keep the speed when a core is busy.
     */
    static void preferPassiveOpenMpWaits() {
        if (System.getenv(OMP_WAIT_POLICY) != null) {
            return; // the user's choice
        }
        try (Arena arena = Arena.ofConfined()) {
            Linker linker = Linker.nativeLinker();
            MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT));
            int rc = (int) setenv.invokeExact(arena.allocateFrom(OMP_WAIT_POLICY), arena.allocateFrom("PASSIVE"), 0);
            if (rc != 0) {
                System.getLogger("io.wiseseg").log(System.Logger.Level.WARNING,
                        "could not set OMP_WAIT_POLICY=PASSIVE (setenv returned " + rc + ")");
            }
        } catch (Throwable t) { // no setenv (not a POSIX libc): LibTorch keeps its default
            System.getLogger("io.wiseseg").log(System.Logger.Level.WARNING,
                    "could not set OMP_WAIT_POLICY=PASSIVE: " + t);
        }
    }

    /** The OpenMP wait policy LibTorch's runtime was started with: the user's, else PASSIVE (ours). */
    public static String openMpWaitPolicy() {
        String v = System.getenv(OMP_WAIT_POLICY);
        return v != null ? v + " (set by the user)" : "PASSIVE (set by wiseseg; OMP_WAIT_POLICY overrides)";
    }

    private static final String OMP_WAIT_POLICY = "OMP_WAIT_POLICY";

    /** The LibTorch version of the presets on the class path, e.g. "2.10.0-1.5.13". */
    public static String version() {
        try {
            String v = Loader.getVersion("org.bytedeco", "pytorch");
            return v == null ? "unknown" : v;
        } catch (java.io.IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}
