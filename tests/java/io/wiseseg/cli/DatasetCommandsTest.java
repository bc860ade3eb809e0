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

    @Test
    void hardFamilyThenInfo() throws Exception {
        Path dir = tmp.resolve("hard");
        CliRun synth = run("dataset", "synth", "--family", "hard", "--out", dir.toString(), "--images", "4",
                "--size", "200-240", "--seed", "2", "--val-fraction", "0.25");
        assertEquals(0, synth.code(), synth.err());
        assertTrue(synth.out().contains("wrote 4 images (train 3, trainval 4, val 1)"), synth.out());
        BufferedImage img = ImageIO.read(dir.resolve("JPEGImages/hard_000003.png").toFile());
        assertTrue(img.getWidth() >= 200 && img.getWidth() <= 240, "width " + img.getWidth());
        assertTrue(Files.readString(dir.resolve("synthetic.txt")).contains("family=hard"));
        assertEquals(10, Files.readAllLines(dir.resolve("classes.txt")).size());

        CliRun info = run("dataset", "info", dir.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("4 images scanned"), info.out());
    }

    @Test
    void familyErrorsAreOneLine() {
        CliRun family = run("dataset", "synth", "--out", tmp.resolve("f").toString(), "--family", "medium");
        assertEquals(2, family.code());
        assertTrue(family.err().contains("--family") && family.err().contains("'medium'"), family.err());

        CliRun photos = run("dataset", "synth", "--out", tmp.resolve("g").toString(), "--backgrounds", tmp.toString());
        assertEquals(2, photos.code());
        assertTrue(photos.err().contains("--backgrounds"), photos.err());

        Path missing = tmp.resolve("no-photos");
        CliRun noDir = run("dataset", "synth", "--family", "hard", "--out", tmp.resolve("h").toString(),
                "--images", "1", "--backgrounds", missing.toString());
        assertEquals(2, noDir.code());
        assertTrue(noDir.err().contains(missing.toString()), noDir.err());
        assertEquals(1, noDir.err().strip().lines().count(), noDir.err());

        CliRun badClass = run("dataset", "synth", "--family", "hard", "--out", tmp.resolve("i").toString(),
                "--classes", "ring,disc");
        assertEquals(2, badClass.code());
        assertTrue(badClass.err().contains("'disc'"), badClass.err());

        CliRun badSize = run("dataset", "synth", "--family", "hard", "--out", tmp.resolve("j").toString(),
                "--size", "200x300");
        assertEquals(2, badSize.code());
        assertTrue(badSize.err().contains("--size"), badSize.err());

        CliRun lookOnSimple = run("dataset", "synth", "--out", tmp.resolve("k").toString(), "--clutter", "0");
        assertEquals(2, lookOnSimple.code());
        assertTrue(lookOnSimple.err().contains("--clutter") && lookOnSimple.err().contains("--family hard"),
                lookOnSimple.err());

        CliRun badExtent = run("dataset", "synth", "--family", "hard", "--out", tmp.resolve("l").toString(),
                "--object-extent", "0.6-0.2");
        assertEquals(2, badExtent.code());
        assertTrue(badExtent.err().contains("0.6..0.2"), badExtent.err());

        CliRun badPattern = run("dataset", "synth", "--family", "hard", "--out", tmp.resolve("m").toString(),
                "--patterns", "flat,plaid");
        assertEquals(2, badPattern.code());
        assertTrue(badPattern.err().contains("--patterns") && badPattern.err().contains("'plaid'"), badPattern.err());
        assertEquals(1, badPattern.err().strip().lines().count(), badPattern.err());
    }

    /** The look options reach the generator and are recorded beside the images. */
    @Test
    void hardFamilyLookOptions() throws Exception {
        Path dir = tmp.resolve("easy");
        CliRun synth = run("dataset", "synth", "--family", "hard", "--out", dir.toString(), "--images", "2",
                "--size", "200-240", "--object-extent", "0.2-0.6", "--max-tilt", "30", "--patterns", "flat,gradient",
                "--clutter", "0", "--clutter-in-front", "0");
        assertEquals(0, synth.code(), synth.err());
        assertTrue(Files.readString(dir.resolve("synthetic.txt"))
                .contains("look=extent=0.2-0.6 tilt=30.0 patterns=flat,gradient clutter=0 front=0.0"),
                Files.readString(dir.resolve("synthetic.txt")));
    }
}
