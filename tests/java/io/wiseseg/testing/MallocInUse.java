package io.wiseseg.testing;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Bytes that glibc's malloc has handed out and not had back, over all its arenas (mallinfo2's
 * {@code uordblks + hblkhd}): LibTorch's CPU tensors and JavaCPP's pointers are allocated there,
 * the Java heap is not. Resident memory mixes both, and the Java heap's first touch of fresh
 * eden pages between two collections looks like a native leak of a few MB a request.
 */
public final class MallocInUse {
    private static final int FIELDS = 10, HBLKHD = 4, UORDBLKS = 7;
    private static final MethodHandle MALLINFO2 = find();

    private MallocInUse() {}

    /** Whether this C library has {@code mallinfo2} (glibc 2.33 and later). */
    public static boolean available() {
        return MALLINFO2 != null;
    }

    /** The bytes malloc has handed out and not had back. */
    public static long bytes() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment info = (MemorySegment) MALLINFO2.invoke((SegmentAllocator) arena);
            return info.getAtIndex(ValueLayout.JAVA_LONG, UORDBLKS) + info.getAtIndex(ValueLayout.JAVA_LONG, HBLKHD);
        } catch (Throwable e) {
            throw new IllegalStateException("mallinfo2 failed", e);
        }
    }

    private static MethodHandle find() {
        Linker linker = Linker.nativeLinker();
        // struct mallinfo2: ten size_t fields
        StructLayout layout = MemoryLayout.structLayout(
                IntStream.range(0, FIELDS).mapToObj(i -> ValueLayout.JAVA_LONG).toArray(MemoryLayout[]::new));
        Optional<MemorySegment> symbol = linker.defaultLookup().find("mallinfo2");
        return symbol.map(s -> linker.downcallHandle(s, FunctionDescriptor.of(layout))).orElse(null);
    }
}
