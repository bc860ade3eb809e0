package io.wiseseg.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LibTorch gets one thread per physical core as the kernel counts them: on VMs whose cpuid shows
 * the vCPUs as one core's SMT threads, LibTorch's own count left half the machine idle.
 */
class TorchThreadsTest {
    @TempDir
    Path tmp;

    @Test
    void physicalCoresCountDistinctPackageAndCoreIds() throws Exception {
        cpu("cpu0", "0", "0");
        cpu("cpu1", "0", "0");  // cpu0's SMT sibling
        cpu("cpu2", "0", "1");
        cpu("cpu3", "1", "0");  // core 0 of another package
        cpu("cpu10", "1", "1");
        Files.createDirectories(tmp.resolve("cpu4"));  // offline: no topology
        Files.createDirectories(tmp.resolve("cpufreq/topology"));  // not a CPU
        assertEquals(4, TorchRuntime.physicalCores(tmp));
        assertEquals(0, TorchRuntime.physicalCores(tmp.resolve("absent")));
    }

    @Test
    void libTorchRunsOneThreadPerCoreAtLeast() {
        assumeTrue(System.getenv("OMP_NUM_THREADS") == null && System.getenv("MKL_NUM_THREADS") == null,
                "the user chose LibTorch's threads");
        TorchRuntime.ensureLoaded();
        int cores = Math.min(TorchRuntime.physicalCores(Path.of("/sys/devices/system/cpu")),
                Runtime.getRuntime().availableProcessors());
        assertTrue(torch.get_num_threads() >= cores, "LibTorch runs " + torch.get_num_threads() + " threads on "
                + cores + " cores: " + TorchRuntime.torchThreads());
    }

    private void cpu(String name, String pkg, String core) throws Exception {
        Path t = Files.createDirectories(tmp.resolve(name).resolve("topology"));
        Files.writeString(t.resolve("physical_package_id"), pkg + "\n");
        Files.writeString(t.resolve("core_id"), core + "\n");
    }
}
