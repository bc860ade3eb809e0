package io.wiseseg.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Set;
import org.junit.jupiter.api.Test;

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
    void aHeapSegmentIsRefusedBeforeTheCall() {
        // A downcall's own argument check surfaces unchanged, not wrapped.
        MemorySegment heap = MemorySegment.ofArray(new long[1]);
        assertThrows(IllegalArgumentException.class, () -> LIB.nms(NULL, NULL, 0, 0.5f, NULL, heap, NULL));
    }
}
