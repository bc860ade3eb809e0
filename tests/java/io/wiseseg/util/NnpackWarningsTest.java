package io.wiseseg.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where NNPACK cannot start (a CPU without AVX2, or a VM that hides its cache sizes, like the
 * machines this project is built on), LibTorch logs "Could not initialize NNPACK!" on every
 * convolution that could have used it: thousands of lines in one run. After loading through
 * {@link TorchRuntime} it must log none, and LibTorch must still convolve correctly.
 */
class NnpackWarningsTest {
    @TempDir
    Path tmp;

    @Test
    void smallConvolutionsLogNoNnpackWarnings() throws Exception {
        Path log = tmp.resolve("child.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), Program.class.getName())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(3, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly().waitFor();
        }
        String output = Files.readString(log);
        assertTrue(done, "the child JVM did not finish: " + output);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("ok 20 convolutions"), output);
        List<String> warnings = output.lines().filter(l -> l.contains("NNPACK")).toList();
        assertEquals(List.of(), warnings, "LibTorch's NNPACK warnings (" + TorchRuntime.nnpack() + ")");
    }

    /** The child: 20 single-image 3×3 convolutions small enough for LibTorch's non-oneDNN path. */
    public static final class Program {
        public static void main(String[] args) {
            TorchRuntime.ensureLoaded();
            torch.manual_seed(1);
            Tensor x = torch.randn(1, 2, 6, 6);
            Tensor w = torch.randn(3, 2, 3, 3);
            for (int i = 0; i < 20; i++) {
                Tensor y = torch.conv2d(x, w);
                // one output value against the sum it is made of
                float[] xs = Tensors.toFloats(x), ws = Tensors.toFloats(w);
                double expected = 0;
                for (int c = 0; c < 2; c++) {
                    for (int dy = 0; dy < 3; dy++) {
                        for (int dx = 0; dx < 3; dx++) {
                            expected += xs[c * 36 + (1 + dy) * 6 + 2 + dx] * ws[(2 * 2 + c) * 9 + dy * 3 + dx];
                        }
                    }
                }
                float got = Tensors.toFloats(y.contiguous())[2 * 16 + 1 * 4 + 2];
                if (Math.abs(got - expected) > 1e-4) {
                    throw new AssertionError("conv2d gave " + got + ", expected " + expected);
                }
            }
            System.out.println("ok 20 convolutions");
        }
    }
}
