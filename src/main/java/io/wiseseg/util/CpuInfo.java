package io.wiseseg.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What CPU this process runs on and which of LibTorch's code paths it takes. Results of
 * float32 networks depend on both (other kernels sum in another order), so benchmarks and
 * reports name them next to every number.
 *
 * <p>The code paths can be capped to an older CPU's with environment variables read once at
 * start-up: {@code ATEN_CPU_CAPABILITY} (default, avx2, avx512) for ATen's vectorised kernels,
 * {@code ONEDNN_MAX_CPU_ISA} (e.g. SSE41, AVX2, AVX512_CORE) for oneDNN's convolutions and
 * matrix products, and {@code WISESEG_MAX_CPU_ISA} (default, avx2) for wiseseg's own kernels
 * (reported by {@code kernels.Device.cpuIsa()}).
 */
public final class CpuInfo {
    private CpuInfo() {}

    /** The CPU's model name as {@code lscpu} prints it (from /proc/cpuinfo), or "unknown CPU". */
    public static String modelName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    int colon = line.indexOf(':');
                    return line.substring(colon + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc unreadable: fall through
        }
        return "unknown CPU";
    }

    /** ATen's CPU capability in this process ("DEFAULT", "AVX2", "AVX512", ...); loads LibTorch. */
    public static String atenCapability() {
        TorchRuntime.ensureLoaded();
        return org.bytedeco.pytorch.global.torch.get_cpu_capability().getString();
    }

    /** The oneDNN ISA cap from the environment, or "unset" (oneDNN then uses the CPU's best). */
    public static String onednnMaxIsa() {
        String v = System.getenv("ONEDNN_MAX_CPU_ISA");
        return v == null || v.isBlank() ? "unset" : v;
    }

    /** One line for logs and reports: model, ATen capability, oneDNN cap. */
    public static String describe() {
        return modelName() + "; LibTorch ATen " + atenCapability() + ", oneDNN max ISA " + onednnMaxIsa()
                + ", OpenMP waits " + TorchRuntime.openMpWaitPolicy().split(" ")[0];
    }
}
