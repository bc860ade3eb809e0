package io.wiseseg.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Draws one image of the hard synthetic family and its exact ground truth: a natural-looking
 * background ({@link HardBackground}), then surfaces painted back to front with anti-aliased edges
 * (objects, and clutter that belongs to no class), so that nearer surfaces occlude farther ones,
 * then per-pixel noise. Every surface, object or clutter, takes its palette and texture from one
 * shared distribution, so colour and texture say nothing about the class.
 * <p>The label maps follow VOC: object ids 1..N in depth order (back first), and the pixels whose
 * 5×5 neighbourhood holds another label (another object, or background) are void (255), a band
 * 4 pixels wide along every object boundary, none along the image border. An object that shows
 * fewer than {@link #MIN_VISIBLE_PIXELS} pixels, or fewer than {@link #MIN_CORE_PIXELS} outside
 * the void band, is removed from the scene (not just from the labels); a heavily occluded object
 * that shows enough stays, however little of its silhouette that is.
 * Everything follows from the {@link Random} handed in, on {@link StrictMath}: the same seed gives
 * the same image.
 */
final class HardScene {
    static final int MIN_VISIBLE_PIXELS = 20;
    static final int MIN_CORE_PIXELS = 6;
    /** Void where a pixel's (2·r+1)² neighbourhood holds another label. */
    static final int VOID_RADIUS = 2;
    /** The chance that an object is placed against an earlier one (else anywhere). */
    static final double OVERLAP_PROBABILITY = 0.7;

    /**
     * The rendered image and its ground truth, objects in depth order (back first), with each
     * object's silhouette area inside the image and its visible area (before the void band).
     */
    record Result(RgbImage image, byte[] objectIds, byte[] classIds, List<HardShape> objectShapes, int[] silhouetteAreas,
            int[] visibleAreas, List<Box> visibleBoxes, HardBackground.Source background) {}

    enum Clutter { BLOB, STICK, TRIANGLE }

    /** A palette of two colours and a pattern that mixes them; see {@link #rgb}. */
    record Texture(HardLook.Pattern kind, double[] c1, double[] c2, double period, double cos, double sin, boolean sharp,
            double dot, double shade, double shadeCos, double shadeSin, double grain, int salt) {

        /** RGB in [0, 1] at pixel offset (dx, dy) from the surface centre and frame point (u, v). */
        double[] rgb(double dx, double dy, double u, double v, int x, int y) {
            double pu = (dx * cos + dy * sin) / period, pv = (-dx * sin + dy * cos) / period;
            double t = switch (kind) {
                case FLAT -> 0;
                case STRIPES -> 0.5 + 0.5 * StrictMath.sin(2 * Math.PI * pu);
                case DOTS -> {
                    double fu = pu - Math.floor(pu) - 0.5, fv = pv - Math.floor(pv) - 0.5;
                    yield fu * fu + fv * fv <= dot * dot ? 1 : 0;
                }
                case GRADIENT -> HardBackground.clamp01(0.5 + 0.5 * (u * cos + v * sin));
                case RADIAL -> HardBackground.clamp01(StrictMath.hypot(u, v));
                case NOISE -> HardBackground.clamp01(0.5 + 2.5 * (HardBackground.fbm(pu, pv, salt, 4) - 0.5));
                case CHECKER -> (int) Math.floor(pu) + (int) Math.floor(pv) & 1;
            };
            if (sharp && kind == HardLook.Pattern.STRIPES) {
                t = t >= 0.5 ? 1 : 0;
            }
            double light = 1 + shade * (u * shadeCos + v * shadeSin);
            double g = grain * (SyntheticShape.hash01(x, y, salt) - 0.5) * 2;
            double[] c = HardBackground.lerp(c1, c2, t);
            return new double[] {c[0] * light + g, c[1] * light + g, c[2] * light + g};
        }
    }

    /** A painted region: an object of {@code shape}, or clutter of kind {@code clutter} when shape is null. */
    record Surface(HardShape shape, Clutter clutter, double cx, double cy, double radius, double cos, double sin,
            double aspect, double wobble, int lobes, double wobblePhase, Texture texture) {

        Surface at(double x, double y) {
            return new Surface(shape, clutter, x, y, radius, cos, sin, aspect, wobble, lobes, wobblePhase, texture);
        }

        boolean covers(double px, double py) {
            double dx = px - cx, dy = py - cy;
            double u = (dx * cos + dy * sin) / radius;
            double v = (-dx * sin + dy * cos) / (radius * aspect);
            if (shape != null) {
                return shape.contains(u, v);
            }
            return switch (clutter) {
                case STICK -> Math.abs(u) <= 1 && Math.abs(v) <= 0.1;
                case TRIANGLE -> v <= 0.5 && Math.sqrt(3) * u - v <= 1 && -Math.sqrt(3) * u - v <= 1;
                case BLOB -> StrictMath.hypot(u, v) <= 0.85 + wobble * StrictMath.sin(lobes * StrictMath.atan2(v, u) + wobblePhase);
            };
        }

        double[] rgb(int x, int y) {
            double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
            double u = (dx * cos + dy * sin) / radius;
            double v = (-dx * sin + dy * cos) / (radius * aspect);
            return texture.rgb(dx, dy, u, v, x, y);
        }
    }

    private final int width;
    private final int height;
    private final double noise;
    private final HardLook look;
    private final Random random;

    HardScene(int width, int height, double noise, HardLook look, Random random) {
        this.width = width;
        this.height = height;
        this.noise = noise;
        this.look = look;
        this.random = random;
    }

    Result render(List<HardShape> classes, int maxInstances, HardBackground.Photos photos) {
        while (true) {
            List<Surface> surfaces = layout(classes, maxInstances);
            int[] owner = dropHiddenObjects(surfaces);
            if (surfaces.stream().anyMatch(s -> s.shape() != null)) {
                return paint(surfaces, owner, photos);
            }
        }
    }

    List<Surface> layout(List<HardShape> classes, int maxInstances) {
        int objects = 1 + random.nextInt(maxInstances);
        int clutter = random.nextInt(look.maxClutter() + 1);
        List<Surface> back = new ArrayList<>();
        List<Surface> front = new ArrayList<>();
        for (int i = 0; i < clutter; i++) {
            // Some of the clutter lies in front and hides parts of objects.
            (random.nextDouble() < look.frontShare() ? front : back).add(clutter());
        }
        List<Surface> layers = new ArrayList<>(back);
        List<Surface> placed = new ArrayList<>();
        for (int i = 0; i < objects; i++) {
            Surface o = object(classes.get(random.nextInt(classes.size())));
            if (!placed.isEmpty() && random.nextDouble() < OVERLAP_PROBABILITY) {
                // Pasted against an earlier object, partly over it, as instances pile up in photos.
                Surface anchor = placed.get(random.nextInt(placed.size()));
                double angle = random.nextDouble() * 2 * Math.PI;
                double d = (anchor.radius() + o.radius()) * (0.3 + 0.55 * random.nextDouble());
                o = o.at(Math.clamp(anchor.cx() + d * StrictMath.cos(angle), 0.05 * width, 0.95 * width),
                        Math.clamp(anchor.cy() + d * StrictMath.sin(angle), 0.05 * height, 0.95 * height));
            }
            placed.add(o);
            layers.add(o);
        }
        for (Surface f : front) {
            layers.add(layers.size() - random.nextInt(objects + 1), f);
        }
        return layers;
    }

    private Surface object(HardShape shape) {
        double side = Math.min(width, height);
        double extent = StrictMath.exp(StrictMath.log(look.minExtent())
                + random.nextDouble() * StrictMath.log(look.maxExtent() / look.minExtent()));
        double angle = look.anyRotation() ? random.nextDouble() * 2 * Math.PI
                : (random.nextDouble() * 2 - 1) * Math.toRadians(look.maxTiltDegrees());
        double aspect = StrictMath.exp((random.nextDouble() * 2 - 1) * StrictMath.log(4.0 / 3));
        return new Surface(shape, null, width * (0.05 + 0.9 * random.nextDouble()),
                height * (0.05 + 0.9 * random.nextDouble()), side * extent / 2 / Math.max(1, aspect),
                StrictMath.cos(angle), StrictMath.sin(angle), aspect, 0, 0, 0, texture());
    }

    private Surface clutter() {
        double side = Math.min(width, height);
        Clutter kind = Clutter.values()[random.nextInt(Clutter.values().length)];
        double extent = StrictMath.exp(StrictMath.log(0.06) + random.nextDouble() * StrictMath.log(0.4 / 0.06));
        double angle = random.nextDouble() * 2 * Math.PI;
        double aspect = kind == Clutter.BLOB ? 0.4 + 0.6 * random.nextDouble() : 0.7 + 0.6 * random.nextDouble();
        return new Surface(null, kind, width * random.nextDouble(), height * random.nextDouble(),
                side * extent / 2 * (kind == Clutter.STICK ? 1.6 : 1), StrictMath.cos(angle), StrictMath.sin(angle),
                aspect, 0.05 + 0.12 * random.nextDouble(), 2 + random.nextInt(4), random.nextDouble() * 2 * Math.PI,
                texture());
    }

    /** A palette and pattern from the one distribution every surface shares. */
    Texture texture() {
        HardLook.Pattern kind = look.patterns().get(random.nextInt(look.patterns().size()));
        double[] c1 = randomColour();
        double[] c2;
        if (random.nextBoolean()) {
            c2 = randomColour();
        } else {
            // Same hue family, another shade.
            double k = 0.35 + 0.5 * random.nextDouble();
            c2 = random.nextBoolean() ? new double[] {c1[0] * k, c1[1] * k, c1[2] * k}
                    : HardBackground.lerp(c1, new double[] {1, 1, 1}, k * 0.8);
        }
        double angle = random.nextDouble() * 2 * Math.PI;
        double shadeAngle = random.nextDouble() * 2 * Math.PI;
        return new Texture(kind, c1, c2, 4 + 16 * random.nextDouble(), StrictMath.cos(angle), StrictMath.sin(angle),
                random.nextBoolean(), 0.2 + 0.25 * random.nextDouble(), 0.3 * random.nextDouble(),
                StrictMath.cos(shadeAngle), StrictMath.sin(shadeAngle), 0.07 * random.nextDouble(), random.nextInt());
    }

    private double[] randomColour() {
        return HardBackground.hsv(random.nextDouble(), Math.sqrt(random.nextDouble()), 0.15 + 0.85 * random.nextDouble());
    }

    /**
     * Removes, one at a time, the object that shows least of itself outside the void band until
     * every object left shows enough; returns the final owner map (the front surface per pixel).
     */
    private int[] dropHiddenObjects(List<Surface> surfaces) {
        while (true) {
            int[] owner = owners(surfaces);
            byte[] ids = objectIds(surfaces, owner);
            boolean[] isVoid = voidBand(ids, width, height);
            int[] visible = new int[256], core = new int[256];
            for (int p = 0; p < ids.length; p++) {
                int id = ids[p] & 0xFF;
                visible[id]++;
                if (!isVoid[p]) {
                    core[id]++;
                }
            }
            int worst = -1, worstCore = Integer.MAX_VALUE, id = 0;
            for (int i = 0; i < surfaces.size(); i++) {
                if (surfaces.get(i).shape() == null) {
                    continue;
                }
                id++;
                boolean tooHidden = visible[id] < MIN_VISIBLE_PIXELS || core[id] < MIN_CORE_PIXELS;
                if (tooHidden && core[id] < worstCore) {
                    worst = i;
                    worstCore = core[id];
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
        Arrays.fill(owner, -1);
        for (int i = 0; i < surfaces.size(); i++) {
            Surface s = surfaces.get(i);
            int[] b = bounds(s);
            for (int y = b[1]; y < b[3]; y++) {
                for (int x = b[0]; x < b[2]; x++) {
                    if (s.covers(x + 0.5, y + 0.5)) {
                        owner[y * width + x] = i;
                    }
                }
            }
        }
        return owner;
    }

    /** Object ids 1..N (surfaces that are objects, in order) per pixel; 0 where no object is in front. */
    private byte[] objectIds(List<Surface> surfaces, int[] owner) {
        int[] idOf = new int[surfaces.size()];
        int next = 0;
        for (int i = 0; i < surfaces.size(); i++) {
            idOf[i] = surfaces.get(i).shape() == null ? 0 : ++next;
        }
        byte[] ids = new byte[owner.length];
        for (int p = 0; p < owner.length; p++) {
            ids[p] = (byte) (owner[p] < 0 ? 0 : idOf[owner[p]]);
        }
        return ids;
    }

    /** Pixels whose (2·VOID_RADIUS+1)² neighbourhood (clipped to the image) holds another label. */
    static boolean[] voidBand(byte[] labels, int width, int height) {
        boolean[] out = new boolean[labels.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                byte l = labels[y * width + x];
                search:
                for (int yy = Math.max(0, y - VOID_RADIUS); yy <= Math.min(height - 1, y + VOID_RADIUS); yy++) {
                    for (int xx = Math.max(0, x - VOID_RADIUS); xx <= Math.min(width - 1, x + VOID_RADIUS); xx++) {
                        if (labels[yy * width + xx] != l) {
                            out[y * width + x] = true;
                            break search;
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Pixel bounds {x1, y1, x2, y2} that contain a surface (its outer radius, clipped). */
    private int[] bounds(Surface s) {
        double reach = s.radius() * Math.max(1, s.aspect()) * 1.3 + 2;
        return new int[] {
            Math.max(0, (int) Math.floor(s.cx() - reach)), Math.max(0, (int) Math.floor(s.cy() - reach)),
            Math.min(width, (int) Math.ceil(s.cx() + reach)), Math.min(height, (int) Math.ceil(s.cy() + reach))};
    }

    private Result paint(List<Surface> surfaces, int[] owner, HardBackground.Photos photos) {
        List<HardShape> shapes = new ArrayList<>();
        List<Integer> objectSurfaces = new ArrayList<>();
        for (int i = 0; i < surfaces.size(); i++) {
            if (surfaces.get(i).shape() != null) {
                shapes.add(surfaces.get(i).shape());
                objectSurfaces.add(i);
            }
        }
        HardBackground.Source[] source = new HardBackground.Source[1];
        int[] bg = HardBackground.draw(width, height, random, photos, source);
        double[] colour = new double[width * height * 3];
        for (int p = 0; p < bg.length; p++) {
            for (int c = 0; c < 3; c++) {
                colour[p * 3 + c] = (bg[p] >> (16 - 8 * c) & 0xFF) / 255.0;
            }
        }
        for (Surface s : surfaces) {
            int[] b = bounds(s);
            for (int y = b[1]; y < b[3]; y++) {
                for (int x = b[0]; x < b[2]; x++) {
                    // Coverage from 2×2 samples: edges blend into what lies behind, as in a photo.
                    int n = 0;
                    for (int k = 0; k < 4; k++) {
                        n += s.covers(x + 0.25 + 0.5 * (k & 1), y + 0.25 + 0.5 * (k >> 1)) ? 1 : 0;
                    }
                    if (n == 0) {
                        continue;
                    }
                    double a = n / 4.0;
                    double[] c = s.rgb(x, y);
                    int p = y * width + x;
                    for (int ch = 0; ch < 3; ch++) {
                        colour[p * 3 + ch] += a * (HardBackground.clamp01(c[ch]) - colour[p * 3 + ch]);
                    }
                }
            }
        }
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < rgb.length; i++) {
            double v = colour[i] * 255 + noise * 255 * random.nextGaussian();
            rgb[i] = (byte) Math.clamp(Math.round(v), 0, 255);
        }
        byte[] objectIds = objectIds(surfaces, owner);
        int[] visible = new int[shapes.size()];
        int[][] box = new int[shapes.size()][];
        for (int p = 0; p < objectIds.length; p++) {
            int id = objectIds[p] & 0xFF;
            if (id != 0) {
                visible[id - 1]++;
                int x = p % width, y = p / width;
                int[] b = box[id - 1];
                box[id - 1] = b == null ? new int[] {x, y, x + 1, y + 1}
                        : new int[] {Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x + 1), Math.max(b[3], y + 1)};
            }
        }
        List<Box> boxes = Arrays.stream(box).map(b -> new Box(b[0], b[1], b[2], b[3])).toList();
        boolean[] isVoid = voidBand(objectIds, width, height);
        byte[] classIds = new byte[objectIds.length];
        for (int p = 0; p < objectIds.length; p++) {
            int id = objectIds[p] & 0xFF;
            if (isVoid[p]) {
                objectIds[p] = (byte) VocPalette.VOID;
                classIds[p] = (byte) VocPalette.VOID;
            } else if (id > 0) {
                classIds[p] = (byte) (shapes.get(id - 1).ordinal() + 1);
            }
        }
        int[] silhouettes = new int[shapes.size()];
        for (int k = 0; k < shapes.size(); k++) {
            Surface s = surfaces.get(objectSurfaces.get(k));
            int[] b = bounds(s);
            for (int y = b[1]; y < b[3]; y++) {
                for (int x = b[0]; x < b[2]; x++) {
                    silhouettes[k] += s.covers(x + 0.5, y + 0.5) ? 1 : 0;
                }
            }
        }
        return new Result(new RgbImage(width, height, rgb), objectIds, classIds, List.copyOf(shapes), silhouettes,
                visible, boxes, source[0]);
    }
}
