package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code --threads N} on every command that runs a network (those of {@link DeviceOptionTest}):
 * a count below 1 is refused in one line before any other work (the other arguments name nothing
 * that exists). That a run's stages use the count is RunThreadsTest's; that serve's and bench's
 * do, BenchCommandTest's, which prints it.
 */
class ThreadsOptionTest {
    @TempDir
    static Path tmp;

    static Stream<List<String>> commands() {
        return DeviceOptionTest.commands(tmp);
    }

    @ParameterizedTest
    @MethodSource("commands")
    void aCountBelowOneIsRefusedInOneLine(List<String> command) {
        for (String n : List.of("0", "-2")) {
            List<String> args = new ArrayList<>(command);
            args.addAll(List.of("--threads", n));
            CliRun r = CliRun.run(args.toArray(String[]::new));
            assertEquals(2, r.code(), r.err());
            assertEquals("wiseseg: --threads must be >= 1, got " + n + "\n", r.err());
        }
    }
}
