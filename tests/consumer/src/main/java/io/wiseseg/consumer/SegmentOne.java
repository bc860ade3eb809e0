package io.wiseseg.consumer;

import io.wiseseg.data.Box;
import io.wiseseg.kernels.Device;
import io.wiseseg.pipeline.Segment;
import io.wiseseg.pipeline.Segmenter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Segments one image with a trained run through wiseseg's public API, as a user's program would,
 * and says where wiseseg's classes and its kernel library came from (run.sh checks both).
 * Usage: SegmentOne RUN_DIR IMAGE. Exits 1 on any failure (an uncaught exception).
 */
public final class SegmentOne {
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: SegmentOne RUN_DIR IMAGE");
            System.exit(2);
        }
        Path run = Path.of(args[0]);
        Path image = Path.of(args[1]);
        List<Segment> segments;
        Device device = Device.cpu();
        try (Segmenter segmenter = Segmenter.load(run, device)) {
            segments = segmenter.segment(image);
        }
        System.out.println("wiseseg classes: " + Segmenter.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        System.out.println("kernel library: " + device.libraryFile());
        // what the process really mapped, independent of what wiseseg reports
        System.out.println("mapped kernel library: " + mapped("libwiseseg_cpu.so"));
        System.out.println("instances: " + segments.size());
        for (Segment s : segments) {
            Box b = s.box();
            System.out.printf("%s %.3f box %.0f,%.0f,%.0f,%.0f mask %d px%n",
                    s.className(), s.score(), b.x1(), b.y1(), b.x2(), b.y2(), s.mask().area());
        }
    }

    /** The path of the mapped file named {@code name} in /proc/self/maps, or "none". */
    private static String mapped(String name) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            int slash = line.indexOf('/');
            if (slash >= 0 && line.endsWith("/" + name)) {
                return line.substring(slash);
            }
        }
        return "none";
    }
}
