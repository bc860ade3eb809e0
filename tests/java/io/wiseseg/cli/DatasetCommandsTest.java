package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DatasetCommandsTest {
    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void synthThenInfoThenShow() throws Exception {
        Path dir = tmp.resolve("synth");
        Run synth = run("dataset", "synth", "--out", dir.toString(), "--images", "5", "--size", "64x48",
                "--seed", "3", "--classes", "disc,ring,star");
        assertEquals(0, synth.code(), synth.err());
        assertTrue(synth.out().contains("wrote 5 images"), synth.out());
        assertTrue(Files.exists(dir.resolve("JPEGImages/synth_000004.png")));

        Run info = run("dataset", "info", dir.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("trainval") && info.out().contains("5 images scanned"), info.out());
        assertTrue(info.out().contains("disc") && info.out().contains("instances per image"), info.out());

        Path png = tmp.resolve("show.png");
        Run show = run("show", "--dataset", dir.toString(), "--image", "synth_000002", "--out", png.toString());
        assertEquals(0, show.code(), show.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(64 * 6, img.getWidth()); // enlarged to about 384 px
        assertEquals(48 * 6, img.getHeight());
    }

    @Test
    void showOnTheVocFixture() throws Exception {
        Path voc = Path.of(System.getProperty("wiseseg.test.resources", "tests/resources")).resolve("voc-mini");
        Path png = tmp.resolve("voc.png");
        Run show = run("show", "--dataset", voc.toString(), "--image", "2008_000003", "--out", png.toString(),
                "--scale", "2");
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("3 instances"), show.out());
        assertEquals(80, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void userErrorsAreOneLineNamingThePath() {
        Path missing = tmp.resolve("missing");
        Run info = run("dataset", "info", missing.toString());
        assertEquals(2, info.code());
        assertTrue(info.err().startsWith("wiseseg: " + missing + ": "), info.err());
        assertEquals(1, info.err().strip().lines().count(), info.err());

        Run bad = run("dataset", "synth", "--out", tmp.resolve("x").toString(), "--size", "big");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--size"), bad.err());

        Run badClass = run("dataset", "synth", "--out", tmp.resolve("y").toString(), "--classes", "disc,blob");
        assertEquals(2, badClass.code());
        assertTrue(badClass.err().contains("'blob'"), badClass.err());
    }
}
