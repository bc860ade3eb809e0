package io.wiseseg.util;

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
        try {
            Loader.cacheResources(torch.class, "/org/bytedeco/pytorch/" + Loader.getPlatform() + "/");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("could not extract LibTorch into the JavaCPP cache ("
                    + e.getMessage() + "); set -Dorg.bytedeco.javacpp.cachedir to a writable folder", e);
        }
        Loader.load(torch.class);
        loaded = true;
    }

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
