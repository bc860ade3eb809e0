package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.util.TorchRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code --device} on every command that runs a network: a device this build cannot serve is
 * refused in one line, before any other work (the other arguments here name nothing that exists,
 * so a command that looked at them first would fail with another message). That each command runs
 * with {@code --device cpu} is shown by their own tests, which pass it (e.g. PrmCommandsTest,
 * MaskRcnnCommandsTest, BenchCommandTest).
 */
class DeviceOptionTest {
    @TempDir
    static Path tmp;

    static Stream<List<String>> commands() {
        return commands(tmp);
    }

    /** Each command that runs a network, with its required options naming what does not exist in {@code dir}. */
    static Stream<List<String>> commands(Path dir) {
        String none = dir.resolve("missing").toString();
        return Stream.of(
                List.of("train-classifier", "--dataset", none, "--out", none),
                List.of("peaks", "--checkpoint", none, "--image", none, "--out", none),
                List.of("localisation", "--checkpoint", none, "--dataset", none),
                List.of("pseudo", "--checkpoint", none, "--dataset", none, "--out", none),
                List.of("train-maskrcnn", "--dataset", none, "--out", none),
                List.of("predict", "--checkpoint", none, "--images", none, "--out", none),
                List.of("run", "--dataset", none, "--out", none),
                List.of("demo", "--out", none),
                List.of("serve", "--checkpoint", none, "--port", "0"),
                List.of("bench", "--checkpoint", none, "--synthetic", "1"));
    }

    @ParameterizedTest
    @MethodSource("commands")
    void anUnknownDeviceIsRefusedInOneLine(List<String> command) {
        CliRun r = CliRun.run(with(command, "tpu"));
        assertEquals(2, r.code(), r.err());
        assertEquals("wiseseg: --device tpu: expected cpu, cuda or cuda:N\n", r.err());
    }

    @ParameterizedTest
    @MethodSource("commands")
    void cudaOnTheCpuBuildSaysWhatToRebuild(List<String> command) {
        TorchRuntime.ensureLoaded();
        Assumptions.assumeFalse(org.bytedeco.pytorch.global.torch.cuda_is_available(), "a GPU build with a GPU");
        CliRun r = CliRun.run(with(command, "cuda:0"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("wiseseg: --device cuda:0: this build runs LibTorch's CPU-only library; "),
                r.err());
        assertTrue(r.err().contains("WISESEG_PROFILE=gpu ./wiseseg"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    private static String[] with(List<String> command, String device) {
        List<String> args = new ArrayList<>(command);
        args.add("--device");
        args.add(device);
        return args.toArray(String[]::new);
    }
}
