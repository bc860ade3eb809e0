package io.wiseseg.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.kernels.Device;
import io.wiseseg.testing.TinyRun;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README's "Use from Java" example is {@link SegmentPhoto}, word for word (bar the package line
 * the test tree needs), and it runs: on a tiny trained run it prints one line per instance.
 */
class ReadmeExampleTest {
    private static final Path ROOT = Path.of(System.getProperty("wiseseg.test.resources", "tests/resources"))
            .toAbsolutePath().getParent().getParent();

    @Test
    void readmeShowsTheExampleAsItIs() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher block = Pattern.compile("## Use from Java\n.*?```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(block.find(), "README.md has no java block under \"## Use from Java\"");
        String example = Files.readString(ROOT.resolve("tests/java/io/wiseseg/pipeline/SegmentPhoto.java"))
                .replaceFirst("^package io\\.wiseseg\\.pipeline;\n\n", "");
        assertEquals(example, block.group(1));
    }

    @Test
    void readmeShowsThePipelineExampleAsItIs() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher block = Pattern.compile("### Train on your own data\n.*?```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(block.find(), "README.md has no java block under \"### Train on your own data\"");
        String example = Files.readString(ROOT.resolve("tests/java/io/wiseseg/pipeline/TrainOnYourData.java"))
                .replaceFirst("^package io\\.wiseseg\\.pipeline;\n\n", "");
        assertEquals(example, block.group(1));
    }

    @Test
    void thePipelineExampleTrainsAndScores(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path voc = io.wiseseg.testing.TinyVoc.write(tmp.resolve("voc"), 4, 2, 2);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            TrainOnYourData.main(new String[] {voc.toString(), tmp.resolve("run").toString()});
        } finally {
            System.setOut(stdout);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        assertTrue(printed.contains("1/5 data: 6 images (4 train, 2 val)"), printed);
        assertTrue(printed.contains("5/5 metrics in"), printed);
        assertTrue(printed.matches("(?s).*pseudo masks \\d+\\.\\d AP50, Mask R-CNN trained on them \\d+\\.\\d AP50\n"),
                printed);
        assertTrue(Files.isRegularFile(tmp.resolve("run/report-iou.html")));
        // as `wiseseg run`: the pseudo-mask settings chosen on a tenth of the train images (one of four)
        assertTrue(printed.contains("2b/5 pseudo-mask settings chosen on 1 tuning images"), printed);
        assertTrue(Files.isRegularFile(tmp.resolve("run/" + SettingsSearch.FILE)));
    }

    @Test
    void theExamplePrintsEachInstance() {
        Path run = TinyRun.dir();
        Path image = TinyRun.images().get(3);
        List<Segment> expected;
        try (Segmenter segmenter = Segmenter.load(run, Device.cpu())) {
            expected = segmenter.segment(image);
        }
        assertTrue(!expected.isEmpty(), "the tiny run found nothing in " + image);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            SegmentPhoto.main(new String[] {run.toString(), image.toString()});
        } finally {
            System.setOut(stdout);
        }
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        System.out.println(String.join("\n", lines));
        assertEquals(expected.size(), lines.size(), "one line per instance");
        for (int i = 0; i < lines.size(); i++) {
            Segment s = expected.get(i);
            assertTrue(lines.get(i).startsWith(s.className() + " " + String.format("%.2f", s.score()) + " box "),
                    lines.get(i));
            assertTrue(lines.get(i).endsWith(" mask " + s.mask().area() + " px"), lines.get(i));
        }
    }
}
