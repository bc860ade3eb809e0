package io.wiseseg.data;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Draws one synthetic image and its exact ground truth: a textured, cluttered background, then
 * surfaces painted back to front (objects and distractor blobs that are not objects), so that
 * nearer surfaces occlude farther ones, and light per-pixel noise. Objects hidden too much are
 * dropped before painting, so every instance kept is really visible.
 * Everything follows from the {@link Random} handed in: the same seed gives the same image.
 */
final class SyntheticScene {
    /** An object must keep this many visible pixels, and this fraction of its silhouette. */
    static final int MIN_VISIBLE_PIXELS = 20;
    static final double MIN_VISIBLE_FRACTION = 0.3;

    /** The rendered image and its ground truth, objects in depth order (back first). */
    record Result(RgbImage image, byte[] objectIds, byte[] classIds, List<SyntheticShape> objectShapes) {}

    /** A painted region: an object of {@code shape}, or a distractor when shape is null. */
    private record Surface(SyntheticShape shape, boolean stick, double cx, double cy, double radius, double cos,
            double sin, double aspect, double wobble, int lobes, double wobblePhase, float hue, float sat,
            float val, SyntheticShape.Pattern pattern, double frequency, double phase, double contrast, int salt) {

        boolean covers(int x, int y) {
            double[] uv = frame(x, y);
            double u = uv[0], v = uv[1];
            if (shape != null) {
                return shape.contains(u, v);
            }
            if (stick) {
                return Math.abs(u) <= 1 && Math.abs(v) <= 0.12;
            }
            double r = Math.hypot(u, v);
            return r <= 1 + wobble * Math.sin(lobes * Math.atan2(v, u) + wobblePhase);
        }

        /** Object-frame coordinates of pixel (x, y)'s centre: rotated, then scaled to radius 1. */
        double[] frame(int x, int y) {
            double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
            double u = (dx * cos + dy * sin) / radius;
            double v = (-dx * sin + dy * cos) / (radius * aspect);
            return new double[] {u, v};
        }

        int rgb(int x, int y) {
            double[] uv = frame(x, y);
            double t = SyntheticShape.value(pattern, uv[0], uv[1], x, y, frequency, phase, salt);
            float value = (float) Math.min(1, val * (1 - contrast + contrast * t));
            return Color.HSBtoRGB(hue + (float) (0.03 * (t - 0.5)), sat, value);
        }
    }

    private final int width;
    private final int height;
    private final double noise;
    private final Random random;

    SyntheticScene(int width, int height, double noise, Random random) {
        this.width = width;
        this.height = height;
        this.noise = noise;
        this.random = random;
    }

    Result render(List<SyntheticShape> classes, int maxInstances) {
        while (true) {
            List<Surface> surfaces = layout(classes, maxInstances);
            int[] owner = dropHiddenObjects(surfaces);
            if (surfaces.stream().anyMatch(s -> s.shape() != null)) {
                return paint(surfaces, owner);
            }
        }
    }

    private List<Surface> layout(List<SyntheticShape> classes, int maxInstances) {
        int objects = 1 + random.nextInt(maxInstances);
        int distractors = 1 + random.nextInt(5);
        List<Surface> back = new ArrayList<>();
        List<Surface> front = new ArrayList<>();
        for (int i = 0; i < distractors; i++) {
            // About a quarter of the clutter lies in front and hides parts of objects.
            (random.nextDouble() < 0.25 ? front : back).add(distractor());
        }
        List<Surface> layers = new ArrayList<>(back);
        for (int i = 0; i < objects; i++) {
            layers.add(object(classes.get(random.nextInt(classes.size()))));
        }
        for (Surface f : front) {
            layers.add(layers.size() - random.nextInt(objects + 1), f);
        }
        return layers;
    }

    private Surface object(SyntheticShape shape) {
        double size = Math.min(width, height);
        // Log-uniform scale: many small objects, some large ones, as in real photos.
        double radius = size * Math.exp(Math.log(0.05) + random.nextDouble() * Math.log(0.30 / 0.05));
        double angle = random.nextDouble() * 2 * Math.PI;
        return new Surface(shape, false, width * (0.06 + 0.88 * random.nextDouble()),
                height * (0.06 + 0.88 * random.nextDouble()), radius, Math.cos(angle), Math.sin(angle),
                0.8 + 0.4 * random.nextDouble(), 0, 0, 0,
                (float) (shape.hue() + 0.08 * (random.nextDouble() - 0.5) + 1) % 1f,
                (float) (0.55 + 0.4 * random.nextDouble()), (float) (0.55 + 0.4 * random.nextDouble()),
                shape.pattern(), 1.5 + 2 * random.nextDouble(), random.nextDouble() * 2 * Math.PI,
                0.25 + 0.3 * random.nextDouble(), random.nextInt());
    }

    private Surface distractor() {
        double size = Math.min(width, height);
        double radius = size * (0.06 + 0.2 * random.nextDouble());
        double angle = random.nextDouble() * 2 * Math.PI;
        boolean stick = random.nextDouble() < 0.3;
        SyntheticShape.Pattern[] patterns = SyntheticShape.Pattern.values();
        return new Surface(null, stick, width * random.nextDouble(), height * random.nextDouble(),
                stick ? radius * 2 : radius, Math.cos(angle), Math.sin(angle), 0.45 + 0.55 * random.nextDouble(),
                0.1 + 0.25 * random.nextDouble(), 2 + random.nextInt(3), random.nextDouble() * 2 * Math.PI,
                random.nextFloat(), (float) (0.15 + 0.6 * random.nextDouble()),
                (float) (0.3 + 0.6 * random.nextDouble()), patterns[random.nextInt(patterns.length)],
                1 + 3 * random.nextDouble(), random.nextDouble() * 2 * Math.PI, 0.2 + 0.4 * random.nextDouble(),
                random.nextInt());
    }

    /**
     * Removes, one at a time, the object that shows least of itself until every object left is
     * visible enough; returns the final owner map (the index of the front surface per pixel).
     */
    private int[] dropHiddenObjects(List<Surface> surfaces) {
        while (true) {
            int[] owner = owners(surfaces);
            int[] visible = new int[surfaces.size()];
            for (int o : owner) {
                if (o >= 0) {
                    visible[o]++;
                }
            }
            int worst = -1;
            double worstFraction = Double.MAX_VALUE;
            for (int i = 0; i < surfaces.size(); i++) {
                Surface s = surfaces.get(i);
                if (s.shape() == null) {
                    continue;
                }
                int full = silhouetteArea(s);
                double fraction = full == 0 ? 0 : visible[i] / (double) full;
                boolean tooHidden = visible[i] < MIN_VISIBLE_PIXELS || fraction < MIN_VISIBLE_FRACTION;
                if (tooHidden && fraction < worstFraction) {
                    worst = i;
                    worstFraction = fraction;
                }
            }
            if (worst < 0) {
                return owner;
            }
            surfaces.remove(worst);
        }
    }

    private int[] owners(List<Surface> surfaces) {
        int[] owner = new int[width * height];
        java.util.Arrays.fill(owner, -1);
        for (int i = 0; i < surfaces.size(); i++) {
            Surface s = surfaces.get(i);
            int[] b = bounds(s);
            for (int y = b[1]; y < b[3]; y++) {
                for (int x = b[0]; x < b[2]; x++) {
                    if (s.covers(x, y)) {
                        owner[y * width + x] = i;
                    }
                }
            }
        }
        return owner;
    }

    private int silhouetteArea(Surface s) {
        int[] b = bounds(s);
        int n = 0;
        for (int y = b[1]; y < b[3]; y++) {
            for (int x = b[0]; x < b[2]; x++) {
                if (s.covers(x, y)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Pixel bounds {x1, y1, x2, y2} that contain a surface (its outer radius, clipped). */
    private int[] bounds(Surface s) {
        double reach = s.radius() * Math.max(1, s.aspect()) * 1.4 + 2;
        return new int[] {
            Math.max(0, (int) Math.floor(s.cx() - reach)), Math.max(0, (int) Math.floor(s.cy() - reach)),
            Math.min(width, (int) Math.ceil(s.cx() + reach)), Math.min(height, (int) Math.ceil(s.cy() + reach))};
    }

    private Result paint(List<Surface> surfaces, int[] owner) {
        int[] objectIdOf = new int[surfaces.size()];
        List<SyntheticShape> shapes = new ArrayList<>();
        for (int i = 0; i < surfaces.size(); i++) {
            if (surfaces.get(i).shape() != null) {
                shapes.add(surfaces.get(i).shape());
                objectIdOf[i] = shapes.size();
            }
        }
        Background bg = new Background();
        byte[] rgb = new byte[width * height * 3];
        byte[] objectIds = new byte[width * height];
        byte[] classIds = new byte[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = y * width + x;
                int o = owner[p];
                int colour = o < 0 ? bg.rgb(x, y) : surfaces.get(o).rgb(x, y);
                if (o >= 0 && objectIdOf[o] > 0) {
                    objectIds[p] = (byte) objectIdOf[o];
                    classIds[p] = (byte) (shapes.get(objectIdOf[o] - 1).ordinal() + 1);
                }
                for (int c = 0; c < 3; c++) {
                    int v = colour >> (16 - 8 * c) & 0xFF;
                    v = (int) Math.round(v + noise * 255 * random.nextGaussian());
                    rgb[p * 3 + c] = (byte) Math.clamp(v, 0, 255);
                }
            }
        }
        return new Result(new RgbImage(width, height, rgb), objectIds, classIds, List.copyOf(shapes));
    }

    /** A low-saturation gradient with optional stripes and soft blotches. */
    private final class Background {
        private final float hue = random.nextFloat();
        private final float sat = (float) (0.05 + 0.4 * random.nextDouble());
        private final double val = 0.3 + 0.45 * random.nextDouble();
        private final double gradAngle = random.nextDouble() * 2 * Math.PI;
        private final double gradient = 0.4 * random.nextDouble();
        private final double stripes = random.nextDouble() < 0.5 ? 0.04 + 0.12 * random.nextDouble() : 0;
        private final double stripeAngle = random.nextDouble() * Math.PI;
        private final double stripePeriod = 4 + 16 * random.nextDouble();
        private final double blotch = 0.12 * random.nextDouble();
        private final double fx = 0.03 + 0.1 * random.nextDouble(), fy = 0.03 + 0.1 * random.nextDouble();
        private final double px = random.nextDouble() * 6.3, py = random.nextDouble() * 6.3;

        int rgb(int x, int y) {
            double size = Math.max(width, height);
            double along = ((x - width / 2.0) * Math.cos(gradAngle) + (y - height / 2.0) * Math.sin(gradAngle)) / size;
            double s = Math.sin(2 * Math.PI * (x * Math.cos(stripeAngle) + y * Math.sin(stripeAngle)) / stripePeriod);
            double b = Math.sin(x * fx + px) * Math.sin(y * fy + py);
            double v = val * (1 + gradient * along) + stripes * s + blotch * b;
            return Color.HSBtoRGB((hue + (float) (0.05 * b) + 1) % 1f, sat, (float) Math.clamp(v, 0, 1));
        }
    }
}
