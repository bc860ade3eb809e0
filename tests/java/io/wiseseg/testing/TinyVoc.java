package io.wiseseg.testing;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * A second, independent VOC-layout dataset for tests, written here with Java2D rather than by the
 * product's synthetic generator: non-square JPEG photos (96×72) of fruit-like ellipses, bricks and
 * coins on a noisy gradient, their own class list ({@code classes.txt}), image-level labels in
 * {@code Annotations/*.xml}, masks as palette PNGs with VOC's 255 "void" band around each object,
 * and train/val lists.
 */
public final class TinyVoc {
    public static final List<String> CLASSES = List.of("apple", "brick", "coin");
    public static final int WIDTH = 96, HEIGHT = 72;

    private TinyVoc() {}

    /** Writes {@code train} + {@code val} images into {@code root}; returns root. */
    public static Path write(Path root, int train, int val, long seed) throws IOException {
        for (String d : List.of("JPEGImages", "Annotations", "SegmentationObject", "SegmentationClass",
                "ImageSets/Segmentation")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.write(root.resolve("classes.txt"), CLASSES);
        Random random = new Random(seed);
        List<String> trainIds = new ArrayList<>(), valIds = new ArrayList<>();
        for (int i = 0; i < train + val; i++) {
            String id = String.format("img_%04d", i);
            writeImage(root, id, random);
            (i < train ? trainIds : valIds).add(id);
        }
        Files.write(root.resolve("ImageSets/Segmentation/train.txt"), trainIds);
        Files.write(root.resolve("ImageSets/Segmentation/val.txt"), valIds);
        return root;
    }

    private static void writeImage(Path root, String id, Random random) throws IOException {
        BufferedImage photo = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                int g = 90 + x / 2 + random.nextInt(25);
                photo.setRGB(x, y, new Color(g / 2, g, Math.min(255, g + 30)).getRGB());
            }
        }
        IndexColorModel palette = vocPalette();
        BufferedImage objects = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_BYTE_INDEXED, palette);
        BufferedImage classes = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_BYTE_INDEXED, palette);
        Graphics2D gp = photo.createGraphics(), go = objects.createGraphics(), gc = classes.createGraphics();
        gp.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        int count = 1 + random.nextInt(2);
        StringBuilder xml = new StringBuilder("<annotation><filename>" + id + ".jpg</filename><size><width>" + WIDTH
                + "</width><height>" + HEIGHT + "</height><depth>3</depth></size><segmented>1</segmented>");
        for (int k = 0; k < count; k++) {
            int cls = random.nextInt(CLASSES.size());
            double size = cls == 2 ? 14 + random.nextInt(6) : 22 + random.nextInt(10);
            // objects side by side in their own column band, so they never overlap
            double x = k * WIDTH / 2.0 + random.nextDouble() * (WIDTH / 2.0 - size), y = random.nextDouble() * (HEIGHT - size);
            Shape shape = switch (cls) {
                case 0 -> new Ellipse2D.Double(x, y, size, size * 0.85);
                case 1 -> new Rectangle2D.Double(x, y, size, size * 0.6);
                default -> new Ellipse2D.Double(x, y, size, size);
            };
            Color colour = switch (cls) {
                case 0 -> new Color(200, 40 + random.nextInt(30), 30);
                case 1 -> new Color(150, 80, 50);
                default -> new Color(230, 200, 40);
            };
            gp.setColor(colour);
            gp.fill(shape);
            // VOC marks a band around each object's boundary as void (255)
            for (Graphics2D g : List.of(go, gc)) {
                g.setColor(new Color(palette.getRGB(255)));
                g.setStroke(new java.awt.BasicStroke(2f));
                g.draw(shape);
            }
            go.setColor(new Color(palette.getRGB(k + 1)));
            go.fill(shape);
            gc.setColor(new Color(palette.getRGB(cls + 1)));
            gc.fill(shape);
            xml.append("<object><name>").append(CLASSES.get(cls)).append("</name><difficult>0</difficult></object>");
        }
        gp.dispose();
        go.dispose();
        gc.dispose();
        xml.append("</annotation>\n");
        ImageIO.write(photo, "jpg", root.resolve("JPEGImages/" + id + ".jpg").toFile());
        ImageIO.write(objects, "png", root.resolve("SegmentationObject/" + id + ".png").toFile());
        ImageIO.write(classes, "png", root.resolve("SegmentationClass/" + id + ".png").toFile());
        Files.writeString(root.resolve("Annotations/" + id + ".xml"), xml);
    }

    /** VOC's colour map: index i's RGB bits come from i's bits, interleaved from the top. */
    static IndexColorModel vocPalette() {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) {
            int c = i, rr = 0, gg = 0, bb = 0;
            for (int j = 7; j >= 0; j--) {
                rr |= (c & 1) << j;
                gg |= ((c >> 1) & 1) << j;
                bb |= ((c >> 2) & 1) << j;
                c >>= 3;
            }
            r[i] = (byte) rr;
            g[i] = (byte) gg;
            b[i] = (byte) bb;
        }
        return new IndexColorModel(8, 256, r, g, b);
    }
}
