package io.wiseseg.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OverlayTest {
    @Test
    void fillsOutlinesAndLabelsInstances(@TempDir Path tmp) throws Exception {
        RgbImage grey = new RgbImage(40, 30, filled(40 * 30 * 3, (byte) 100));
        Mask m = new Mask(30, 40);
        for (int y = 10; y < 20; y++) {
            for (int x = 10; x < 30; x++) {
                m.set(y, x, true);
            }
        }
        Instance inst = Instance.of(2, m, 0.87f);
        BufferedImage out = Overlay.render(grey, List.of(inst), null, SyntheticDataset.CLASSES,
                new Overlay.Style(2, 0.5f, true));
        assertEquals(80, out.getWidth());
        assertEquals(60, out.getHeight());
        int colour = Overlay.classColour(2);
        assertEquals(colour, out.getRGB(20, 30) & 0xFFFFFF); // the outline: first mask column, scaled
        int inside = out.getRGB(40, 36) & 0xFFFFFF;
        int r = Math.round(100 * 0.5f + (colour >> 16 & 0xFF) * 0.5f);
        assertEquals(r, inside >> 16 & 0xFF); // the fill: alpha blend
        assertEquals(0x646464, out.getRGB(2, 58) & 0xFFFFFF); // untouched background
        // The label sits above the box, in the class colour.
        assertNotEquals(0x646464, out.getRGB(21, 12) & 0xFFFFFF);
        Path png = tmp.resolve("o.png");
        Overlay.writePng(out, png);
        assertEquals(80, javax.imageio.ImageIO.read(png.toFile()).getWidth());
        assertThrows(IllegalArgumentException.class, () -> Overlay.render(grey, List.of(Instance.of(0, new Mask(3, 3), 1f)),
                null, SyntheticDataset.CLASSES, new Overlay.Style(1, 0.5f, false)));
    }

    private static byte[] filled(int n, byte v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, v);
        return b;
    }
}
