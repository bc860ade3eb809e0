package io.wiseseg.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;

/**
 * Loading LibTorch leaves OpenBLAS on one thread (unless the user chose a count): a threaded
 * OpenBLAS runs one matrix product at a time for the whole process, so concurrent segmentations
 * did not scale. Asked of OpenBLAS itself, not of our own report.
 */
class OpenBlasThreadsTest {
    @Test
    void loadingLibTorchLeavesOpenBlasOnOneThread() throws Throwable {
        assumeTrue(System.getenv("OPENBLAS_NUM_THREADS") == null, "the user chose OpenBLAS's threads");
        assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "one CPU: OpenBLAS starts with one thread anyway");
        TorchRuntime.ensureLoaded();
        String library = Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
        MethodHandle get = Linker.nativeLinker().downcallHandle(
                SymbolLookup.libraryLookup(Path.of(library), Arena.global()).findOrThrow("openblas_get_num_threads"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        assertEquals(1, (int) get.invokeExact());
        assertEquals("1 (set by wiseseg; OPENBLAS_NUM_THREADS overrides)", TorchRuntime.openBlasThreads());
    }
}
