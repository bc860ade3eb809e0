package io.wiseseg.pipeline;

import io.wiseseg.data.Box;
import io.wiseseg.kernels.Device;
import io.wiseseg.pipeline.Segment;
import io.wiseseg.pipeline.Segmenter;
import java.nio.file.Path;

public class SegmentPhoto {
    public static void main(String[] args) {
        Path run = Path.of(args[0]);   // a `wiseseg train-maskrcnn --out` folder
        Path image = Path.of(args[1]); // a JPEG or PNG file
        try (Segmenter segmenter = Segmenter.load(run, Device.cpu())) {
            for (Segment s : segmenter.segment(image)) {
                Box b = s.box();
                System.out.printf("%s %.2f box %.0f,%.0f,%.0f,%.0f mask %d px%n",
                        s.className(), s.score(), b.x1(), b.y1(), b.x2(), b.y2(), s.mask().area());
            }
        }
    }
}
