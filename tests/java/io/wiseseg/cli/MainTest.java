package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MainTest {
    /** Runs the CLI with stdout captured; returns {exit code, stdout}. */
    static Object[] run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int code = Main.commandLine().execute(args);
            return new Object[] {code, buf.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void versionNamesJavaAndLibTorch() {
        Object[] r = run("version");
        assertEquals(0, r[0]);
        String out = (String) r[1];
        assertTrue(out.contains("wiseseg "), out);
        assertTrue(out.contains("java " + Runtime.version().feature()), out);
        assertTrue(out.contains("libtorch 2.10.0"), out);
    }

    @Test
    void deviceReportsTheActiveKernelLibrary() {
        Object[] r = run("device");
        assertEquals(0, r[0]);
        String out = (String) r[1];
        assertTrue(out.contains("active: "), out);
        assertTrue(out.contains("cpu:    CPU ("), out);
        // without a GPU the CUDA line says why not; with one it says available
        assertTrue(out.contains("cuda:   "), out);
        // and the CPU code paths, which float32 results depend on
        assertTrue(out.contains("libtorch aten:    "), out);
        assertTrue(out.contains("wiseseg kernels:  avx2 path") || out.contains("wiseseg kernels:  default path"), out);
        // the active library's file (the CPU one here, or the CUDA one with a GPU)
        assertTrue(out.matches("(?s).*kernel library:   /\\S*/libwiseseg_(cpu|cuda)\\.so\n.*"), out);
    }

    @Test
    void anUnknownRuleIsRefusedWithTheKnownOnes() {
        CliRun r = CliRun.run("demo", "--rule", "nope", "--out", System.getProperty("java.io.tmpdir") + "/wiseseg-no-rule");
        assertTrue(r.code() != 0, r.err());
        assertTrue(r.err().contains("no such selection rule; known: wise, prm, iou"), r.err());
        CliRun help = CliRun.run("pseudo", "--help");
        assertTrue(help.out().contains("wise, prm, iou"), help.out());
    }

    @Test
    void unknownCommandIsAUsageError() {
        Object[] r = run("no-such-command");
        assertEquals(2, r[0]);
    }
}
