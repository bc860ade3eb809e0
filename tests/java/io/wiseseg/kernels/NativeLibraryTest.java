package io.wiseseg.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every typed method of {@link NativeLibrary} called once on the CPU library. The methods call
 * {@code invokeExact}, whose types are checked only when a call runs; the CUDA library uses the
 * same handles and methods, so this also checks the calls only a GPU reaches. The kernels are
 * called with arguments their own checks reject (the Java API never passes them), which shows
 * that a status reaches {@link NativeLibrary#check} with the library's message.
 */
class NativeLibraryTest {
    private static final NativeLibrary LIB = Device.cpu().lib;
    private static final MemorySegment NULL = MemorySegment.NULL;

    /** {@code status} is WS_ERR_ARGUMENT, and {@code check} throws it with the library's message. */
    private static void assertFailure(int status, String operation, String message) {
        assertEquals(1, status, operation + " should reject its arguments (WS_ERR_ARGUMENT)");
        KernelException e = assertThrows(KernelException.class, () -> LIB.check(status, operation));
        assertEquals(operation + " failed (invalid argument): " + operation + ": " + message, e.getMessage());
        assertEquals(1, e.status());
    }

    @Test
    void libraryFunctions() {
        assertEquals(NativeLibrary.ABI_VERSION, LIB.abiVersion());
        assertEquals("cpu", LIB.backend());
        assertTrue(Set.of("avx2", "default").contains(LIB.cpuIsa()), LIB.cpuIsa());
        int threads = LIB.getNumThreads();
        assertTrue(threads >= 1, "threads " + threads);
        assertEquals(0, LIB.setNumThreads(threads)); // the same count again: no change for other tests
        assertEquals(threads, LIB.getNumThreads());
        assertEquals(0, LIB.synchronize(NULL));
        assertEquals(0, LIB.setDevice(0));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            count.set(ValueLayout.JAVA_INT, 0, -1);
            assertEquals(0, LIB.deviceCount(count));
            assertEquals(0, count.get(ValueLayout.JAVA_INT, 0));
            assertFailure(LIB.deviceName(0, arena.allocate(256), 256), "ws_device_name",
                    "the CPU backend has no device 0");
        }
        assertFailure(LIB.setDevice(1), "ws_set_device", "the CPU backend accepts device 0 only");
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(0, LIB.rangePush(arena.allocateFrom("stage")));
            assertEquals(0, LIB.rangePop());
        }
        assertFailure(LIB.rangePush(NULL), "ws_range_push", "name is null");
    }

    @Test
    void kernelStatusesBecomeKernelExceptions() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_LONG);
            assertFailure(LIB.peakFind(NULL, 1, 1, 3, 3, 2, NULL, 0, NULL, NULL, count, NULL, NULL, NULL, NULL),
                    "ws_peak_find", "win must be odd and >= 1");
            assertFailure(LIB.proposalScore(NULL, -1, 4, 4, NULL, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL,
                    NULL, NULL, NULL), "ws_proposal_score", "negative size");
            assertFailure(LIB.roiAlignForward(NULL, 1, 1, 4, 4, NULL, 0, 0, 7, 0.25f, 2, 0, NULL, NULL),
                    "ws_roi_align_forward", "pooled size must be positive");
            assertFailure(LIB.roiAlignBackward(NULL, NULL, -1, 1, 1, 4, 4, 7, 7, 0.25f, 2, 1, NULL, NULL),
                    "ws_roi_align_backward", "negative size");
            assertFailure(LIB.fpnLevelAssign(NULL, 0, 5, 2, 224f, 4, 1e-6f, NULL, NULL),
                    "ws_fpn_level_assign", "k_min > k_max");
            assertFailure(LIB.nms(NULL, NULL, -1, 0.5f, NULL, count, NULL), "ws_nms", "negative box count");
            assertFailure(LIB.batchedNms(NULL, NULL, NULL, 1, 0.5f, NULL, count, NULL), "ws_batched_nms",
                    "groups is null");
        }
    }

    @Test
    void theLoadedFileIsKnown() {
        assertEquals("libwiseseg_cpu.so", LIB.file.getFileName().toString());
        assertEquals(LIB.file, Device.cpu().libraryFile());
        assertTrue(Files.isRegularFile(LIB.file), LIB.file.toString());
    }

    @TempDir
    Path tmp;

    /** A jar holding {@code lib/libfake.so} with these bytes, as a jar: URL of that entry. */
    private URL jarEntry(String jarName, byte[] bytes) throws IOException {
        Path jar = tmp.resolve(jarName);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("lib/libfake.so"));
            out.write(bytes);
            out.closeEntry();
        }
        return java.net.URI.create("jar:" + jar.toUri() + "!/lib/libfake.so").toURL();
    }

    @Test
    void aLibraryInAJarIsExtractedOnceIntoAFolderNamedByItsContent() throws IOException {
        Path cache = tmp.resolve("cache");
        byte[] bytes = "not really ELF, 1".getBytes();
        Path file = NativeLibrary.extract(jarEntry("a.jar", bytes), "libfake.so", cache);
        assertTrue(file.startsWith(cache.resolve("wiseseg")), file.toString());
        assertTrue(file.getParent().getFileName().toString().matches("linux-x86_64-[0-9a-f]{16}"), file.toString());
        assertArrayEquals(bytes, Files.readAllBytes(file));

        // the same library again (another run of the same jar): the same file, not rewritten
        Object inode = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        assertEquals(file, NativeLibrary.extract(jarEntry("b.jar", bytes), "libfake.so", cache));
        assertEquals(inode, Files.readAttributes(file, BasicFileAttributes.class).fileKey());

        // a damaged copy (someone edited the cache) is replaced, not loaded
        Files.write(file, Arrays.copyOf(bytes, 3));
        assertEquals(file, NativeLibrary.extract(jarEntry("c.jar", bytes), "libfake.so", cache));
        assertArrayEquals(bytes, Files.readAllBytes(file));

        // another build of the library: another folder, so an old jar's copy is never loaded
        Path other = NativeLibrary.extract(jarEntry("d.jar", "not really ELF, 2".getBytes()), "libfake.so", cache);
        assertTrue(!other.getParent().equals(file.getParent()), other + " vs " + file);
        assertArrayEquals(bytes, Files.readAllBytes(file));
    }

    @Test
    void extractingAtTheSameTimeGivesEveryCallerTheWholeLibrary() throws Exception {
        Path cache = tmp.resolve("cache");
        byte[] bytes = new byte[4 << 20]; // large enough that the writes overlap
        new java.util.Random(7).nextBytes(bytes);
        URL url = jarEntry("a.jar", bytes);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> NativeLibrary.extract(url, "libfake.so", cache)));
            }
            Path file = results.get(0).get();
            for (Future<Path> f : results) {
                assertEquals(file, f.get());
            }
            assertArrayEquals(bytes, Files.readAllBytes(file));
            try (Stream<Path> left = Files.list(file.getParent())) {
                assertEquals(List.of(file), left.toList(), "no temp file left behind");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anUnwritableCacheNamesTheLibraryAndTheSetting() throws IOException {
        Path notADirectory = Files.writeString(tmp.resolve("cache"), "a file where the cache folder should be");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> NativeLibrary.extract(jarEntry("a.jar", new byte[] {1, 2, 3}), "libfake.so", notADirectory));
        assertTrue(e.getMessage().startsWith("could not extract the kernel library libfake.so to " + notADirectory),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("set -Dorg.bytedeco.javacpp.cachedir to a writable folder"), e.getMessage());
    }

    @Test
    void aHeapSegmentIsRefusedBeforeTheCall() {
        // A downcall's own argument check surfaces unchanged, not wrapped.
        MemorySegment heap = MemorySegment.ofArray(new long[1]);
        assertThrows(IllegalArgumentException.class, () -> LIB.nms(NULL, NULL, 0, 0.5f, NULL, heap, NULL));
    }
}
