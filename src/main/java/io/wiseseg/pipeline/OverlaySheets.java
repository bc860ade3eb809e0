package io.wiseseg.pipeline;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.Dataset;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Overlay;
import io.wiseseg.data.RgbImage;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Overlay PNGs of a run's report: per image, the ground truth and each method's instances side by side. */
final class OverlaySheets {
    private OverlaySheets() {}

    /**
     * Writes one PNG per image of {@code truth}, up to {@code count}, into {@code dir}.
     *
     * @param panels one prediction list per method, each in {@code truth}'s order
     * @param titles the panel titles, ground truth first
     */
    static List<Path> write(Dataset data, List<AnnotatedImage> truth, Map<String, List<ImagePrediction>> panels,
            List<String> titles, int count, Path dir) {
        System.setProperty("java.awt.headless", "true");
        List<Path> written = new ArrayList<>();
        for (int i = 0; i < truth.size() && written.size() < count; i++) {
            AnnotatedImage a = truth.get(i);
            RgbImage rgb = data.readImage(a.image());
            Overlay.Style style = Overlay.Style.forSize(rgb.width(), rgb.height(), true);
            List<BufferedImage> parts = new ArrayList<>();
            parts.add(Overlay.render(rgb, a.instances(), a.voidMask(), data.classes(), style));
            for (List<ImagePrediction> p : panels.values()) {
                parts.add(Overlay.render(rgb, p.get(i).instances(), null, data.classes(), style));
            }
            int gap = 8, header = 22, width = parts.stream().mapToInt(BufferedImage::getWidth).sum() + gap * (parts.size() - 1);
            BufferedImage all = new BufferedImage(width, header + parts.get(0).getHeight(), BufferedImage.TYPE_INT_RGB);
            Graphics2D g = all.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, all.getWidth(), all.getHeight());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            int x = 0;
            for (int p = 0; p < parts.size(); p++) {
                g.setColor(Color.BLACK);
                g.drawString(titles.get(p), x + 2, header - 6);
                g.drawImage(parts.get(p), x, header, null);
                x += parts.get(p).getWidth() + gap;
            }
            g.dispose();
            Path file = dir.resolve(a.image().id() + ".png");
            Overlay.writePng(all, file);
            written.add(file);
        }
        return written;
    }
}
