package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetCommandsTest {
    @TempDir
    Path tmp;


    private static CliRun run(String... args) {
        return CliRun.run(args);
    }

    @Test
    void synthThenInfoThenShow() throws Exception {
        Path dir = tmp.resolve("synth");
        CliRun synth = run("dataset", "synth", "--out", dir.toString(), "--images", "5", "--size", "64x48",
                "--seed", "3", "--classes", "disc,ring,star");
        assertEquals(0, synth.code(), synth.err());
        assertTrue(synth.out().contains("wrote 5 images"), synth.out());
        assertTrue(Files.exists(dir.resolve("JPEGImages/synth_000004.png")));

        CliRun info = run("dataset", "info", dir.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("trainval") && info.out().contains("5 images scanned"), info.out());
        assertTrue(info.out().contains("disc") && info.out().contains("instances per image"), info.out());

        Path png = tmp.resolve("show.png");
        CliRun show = run("show", "--dataset", dir.toString(), "--image", "synth_000002", "--out", png.toString());
        assertEquals(0, show.code(), show.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(64 * 6, img.getWidth()); // enlarged to about 384 px
        assertEquals(48 * 6, img.getHeight());
    }

    @Test
    void showOnTheVocFixture() throws Exception {
        Path voc = Path.of(System.getProperty("wiseseg.test.resources", "tests/resources")).resolve("voc-mini");
        Path png = tmp.resolve("voc.png");
        CliRun show = run("show", "--dataset", voc.toString(), "--image", "2008_000003", "--out", png.toString(),
                "--scale", "2");
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("3 instances"), show.out());
        assertEquals(80, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void userErrorsAreOneLineNamingThePath() {
        Path missing = tmp.resolve("missing");
        CliRun info = run("dataset", "info", missing.toString());
        assertEquals(2, info.code());
        assertTrue(info.err().startsWith("wiseseg: " + missing + ": "), info.err());
        assertEquals(1, info.err().strip().lines().count(), info.err());

        CliRun bad = run("dataset", "synth", "--out", tmp.resolve("x").toString(), "--size", "big");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--size"), bad.err());

        CliRun badClass = run("dataset", "synth", "--out", tmp.resolve("y").toString(), "--classes", "disc,blob");
        assertEquals(2, badClass.code());
        assertTrue(badClass.err().contains("'blob'"), badClass.err());
    }
}
