package io.wiseseg.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HardSyntheticDatasetTest {
    private static final HardSyntheticDataset.Options SMALL = HardSyntheticDataset.Options.defaults().withImages(10)
            .withValFraction(0.2);

    @TempDir
    Path tmp;

    private static Map<String, byte[]> files(Path root) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    @Test
    void sameOptionsWriteIdenticalBytesAndAnotherSeedDoesNot() throws Exception {
        // one thread, then four: the images are drawn in parallel, and the files must not show it
        List<Long> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        HardSyntheticDataset.generate(tmp.resolve("a"), SMALL, ProgressListener.NONE, 1);
        HardSyntheticDataset.generate(tmp.resolve("b"), SMALL, (task, done, total) -> reported.add(done), 4);
        assertEquals(java.util.stream.LongStream.rangeClosed(0, 10).boxed().toList(), reported);
        HardSyntheticDataset.generate(tmp.resolve("c"), SMALL.withSeed(1), ProgressListener.NONE);
        Map<String, byte[]> a = files(tmp.resolve("a")), b = files(tmp.resolve("b")), c = files(tmp.resolve("c"));
        assertEquals(a.keySet(), b.keySet());
        assertEquals(10 * 4 + 3 + 2, a.size());
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name), b.get(name), name);
        }
        assertEquals(a.keySet(), c.keySet());
        for (int i = 0; i < 10; i++) {
            String image = "JPEGImages/" + HardSyntheticDataset.imageId(i) + ".png";
            assertFalse(java.util.Arrays.equals(a.get(image), c.get(image)), image);
        }
    }

    @Test
    void vocDatasetReadsBackWhatWasGenerated() {
        VocDataset voc = HardSyntheticDataset.generate(tmp.resolve("s"), SMALL, ProgressListener.NONE);
        assertEquals(HardSyntheticDataset.CLASSES, voc.classes());
        assertEquals(10, voc.classes().size());
        assertEquals(List.of("train", "trainval", "val"), voc.splits());
        assertEquals(8, voc.ids("train").size());
        assertEquals(2, voc.ids("val").size());
        List<AnnotatedImage> all = voc.annotated("trainval");
        for (int i = 0; i < all.size(); i++) {
            SyntheticDataset.Generated g = HardSyntheticDataset.render(SMALL, i);
            AnnotatedImage a = all.get(i);
            assertEquals(g.id(), a.image().id());
            assertEquals(g.image().width(), a.image().width());
            assertEquals(g.image().height(), a.image().height());
            assertEquals(g.instances(), a.instances(), g.id());
            int[] labels = g.instances().stream().mapToInt(Instance::classId).sorted().distinct().toArray();
            assertArrayEquals(labels, a.image().labels(), g.id());
            assertTrue(a.voidMask().area() > 0, g.id() + " has a void band");
            assertArrayEquals(g.image().rgb(), voc.readImage(a.image()).rgb(), g.id());
        }
    }

    @Test
    void the400TrainSmallDataRegimeIsTheDefault() {
        HardSyntheticDataset.Options d = HardSyntheticDataset.Options.defaults();
        int val = (int) Math.round(d.images() * d.valFraction());
        assertEquals(400, d.images() - val);
        assertEquals(120, val);
    }

    /**
     * Label maps on disk: the class map agrees with the object map pixel for pixel, every object
     * has one class and matches its XML entry (name in order, box holding the mask: the XML box
     * spans the visible object, void band included, which can reach past the mask), every visible
     * mask is non-empty, and no two different labels touch: non-void pixels within 2 pixels
     * (Chebyshev) of each other carry the same label, so a void band separates objects from
     * background and from each other.
     */
    @Test
    void labelMapsAgreeAndCarryAVoidBand() throws IOException {
        Path dir = tmp.resolve("m");
        VocDataset voc = HardSyntheticDataset.generate(dir, SMALL, ProgressListener.NONE);
        Pattern object = Pattern.compile("<name>(\\w+)</name>.*?<xmin>(\\d+)</xmin>\\s*<ymin>(\\d+)</ymin>\\s*"
                + "<xmax>(\\d+)</xmax>\\s*<ymax>(\\d+)</ymax>", Pattern.DOTALL);
        for (String id : voc.ids("trainval")) {
            ImageFiles.IndexMap obj = ImageFiles.readIndexed(dir.resolve("SegmentationObject/" + id + ".png"));
            ImageFiles.IndexMap cls = ImageFiles.readIndexed(dir.resolve("SegmentationClass/" + id + ".png"));
            int w = obj.width(), h = obj.height();
            assertEquals(w, cls.width());
            assertEquals(h, cls.height());
            int[] classOf = new int[256];
            java.util.Arrays.fill(classOf, -1);
            int voidPixels = 0;
            for (int p = 0; p < w * h; p++) {
                int o = obj.ids()[p] & 0xFF, c = cls.ids()[p] & 0xFF;
                assertEquals(o == 0, c == 0, id + " pixel " + p + ": background in one map only");
                assertEquals(o == 255, c == 255, id + " pixel " + p + ": void in one map only");
                voidPixels += o == 255 ? 1 : 0;
                if (o != 0 && o != 255) {
                    assertTrue(classOf[o] < 0 || classOf[o] == c, id + ": object " + o + " has two classes");
                    classOf[o] = c;
                }
            }
            assertTrue(voidPixels > 0, id);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int l = obj.ids()[y * w + x] & 0xFF;
                    if (l == 255) {
                        continue;
                    }
                    for (int yy = Math.max(0, y - 2); yy <= Math.min(h - 1, y + 2); yy++) {
                        for (int xx = Math.max(0, x - 2); xx <= Math.min(w - 1, x + 2); xx++) {
                            int m = obj.ids()[yy * w + xx] & 0xFF;
                            assertTrue(m == 255 || m == l, id + ": labels " + l + " and " + m + " touch at " + x + "," + y);
                        }
                    }
                }
            }
            String xml = Files.readString(dir.resolve("Annotations/" + id + ".xml"), StandardCharsets.UTF_8);
            assertTrue(xml.contains("<width>" + w + "</width>") && xml.contains("<height>" + h + "</height>"), id);
            Matcher m = object.matcher(xml);
            List<Instance> instances = voc.annotate(voc.image(id)).instances();
            assertFalse(instances.isEmpty(), id);
            for (int k = 0; k < instances.size(); k++) {
                Instance inst = instances.get(k);
                assertTrue(inst.mask().area() > 0, id + " object " + (k + 1) + " has pixels");
                assertEquals(w, inst.mask().width());
                assertEquals(h, inst.mask().height());
                assertEquals(inst.classId() + 1, classOf[k + 1], id + ": object ids are 1..N in order");
                assertTrue(m.find(), id + ": an XML object per instance");
                assertEquals(HardSyntheticDataset.CLASSES.name(inst.classId()), m.group(1), id);
                Box mask = inst.mask().bbox();
                int x1 = Integer.parseInt(m.group(2)) - 1, y1 = Integer.parseInt(m.group(3)) - 1;
                int x2 = Integer.parseInt(m.group(4)), y2 = Integer.parseInt(m.group(5));
                assertTrue(x1 <= mask.x1() && y1 <= mask.y1() && x2 >= mask.x2() && y2 >= mask.y2(),
                        id + ": XML box " + m.group() + " holds mask box " + mask);
                assertTrue(x1 >= 0 && y1 >= 0 && x2 <= w && y2 <= h, id + ": XML box inside the image");
            }
            assertFalse(m.find(), id + ": no XML object without an instance");
        }
    }

    @Test
    void imageSizesVaryWithinTheirRange() {
        HardSyntheticDataset.Options o = HardSyntheticDataset.Options.defaults();
        Set<List<Integer>> sizes = new HashSet<>();
        boolean portrait = false, landscape = false;
        for (int i = 0; i < 30; i++) {
            RgbImage img = HardSyntheticDataset.render(o, i).image();
            int w = img.width(), h = img.height();
            assertTrue(w >= 200 && w <= 320 && h >= 200 && h <= 320, w + "x" + h);
            assertTrue(Math.max(w, h) <= 4.0 / 3 * Math.min(w, h) + 1e-9, w + "x" + h);
            sizes.add(List.of(w, h));
            portrait |= h > w;
            landscape |= w > h;
        }
        assertTrue(sizes.size() >= 25, "distinct sizes: " + sizes.size());
        assertTrue(portrait && landscape);
    }

    /**
     * Colour must not tell the class. Each instance's mean colour (over its visible mask) spans a
     * wide range within every class, and a nearest-class-mean classifier on it, fitted on some
     * images and tried on others, stays near chance (1 in 10). The same classifier on the simple
     * family, where each class has its own hue, does far better: the check can fail.
     */
    @Test
    void colourDoesNotTellTheClass() {
        HardSyntheticDataset.Options hard = HardSyntheticDataset.Options.defaults();
        List<double[]> fit = new ArrayList<>(), test = new ArrayList<>();
        Set<HardShape> seen = EnumSet.noneOf(HardShape.class);
        for (int i = 0; i < 90; i++) {
            SyntheticDataset.Generated g = HardSyntheticDataset.render(hard, i);
            g.instances().forEach(inst -> seen.add(HardShape.values()[inst.classId()]));
            meanColours(g, i < 60 ? fit : test);
        }
        assertEquals(EnumSet.allOf(HardShape.class), seen, "every class appears");
        double[] spread = spreadPerClass(fit, 10);
        for (int c = 0; c < 10; c++) {
            assertTrue(spread[c] > 100, HardShape.values()[c] + ": instance mean brightness spans " + spread[c]);
        }
        double hardAccuracy = nearestMeanAccuracy(fit, test, 10);
        assertTrue(hardAccuracy < 0.25, "colour classifies the hard family's instances: " + hardAccuracy);

        SyntheticDataset.Options simple = SyntheticDataset.Options.defaults();
        List<double[]> sFit = new ArrayList<>(), sTest = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            meanColours(SyntheticDataset.render(simple, i), i < 40 ? sFit : sTest);
        }
        double simpleAccuracy = nearestMeanAccuracy(sFit, sTest, 6);
        assertTrue(simpleAccuracy > 0.6, "colour classifies the simple family's instances: " + simpleAccuracy);
    }

    /** {class, mean r, mean g, mean b} of each instance's visible pixels. */
    private static void meanColours(SyntheticDataset.Generated g, List<double[]> out) {
        for (Instance inst : g.instances()) {
            double[] sum = new double[3];
            long n = 0;
            for (int y = 0; y < inst.mask().height(); y++) {
                for (int x = 0; x < inst.mask().width(); x++) {
                    if (inst.mask().get(y, x)) {
                        for (int c = 0; c < 3; c++) {
                            sum[c] += g.image().get(y, x, c);
                        }
                        n++;
                    }
                }
            }
            out.add(new double[] {inst.classId(), sum[0] / n, sum[1] / n, sum[2] / n});
        }
    }

    /** Per class, the range (max − min) of the instances' mean brightness. */
    private static double[] spreadPerClass(List<double[]> xs, int classes) {
        double[] min = new double[classes], max = new double[classes];
        java.util.Arrays.fill(min, Double.MAX_VALUE);
        java.util.Arrays.fill(max, -Double.MAX_VALUE);
        for (double[] x : xs) {
            int c = (int) x[0];
            double v = (x[1] + x[2] + x[3]) / 3;
            min[c] = Math.min(min[c], v);
            max[c] = Math.max(max[c], v);
        }
        double[] out = new double[classes];
        for (int c = 0; c < classes; c++) {
            out[c] = max[c] - min[c];
        }
        return out;
    }

    private static double nearestMeanAccuracy(List<double[]> fit, List<double[]> test, int classes) {
        double[][] mean = new double[classes][3];
        int[] n = new int[classes];
        for (double[] x : fit) {
            int c = (int) x[0];
            for (int k = 0; k < 3; k++) {
                mean[c][k] += x[k + 1];
            }
            n[c]++;
        }
        for (int c = 0; c < classes; c++) {
            for (int k = 0; k < 3; k++) {
                mean[c][k] = n[c] == 0 ? Double.MAX_VALUE : mean[c][k] / n[c];
            }
        }
        int right = 0;
        for (double[] x : test) {
            int best = -1;
            double bestD = Double.MAX_VALUE;
            for (int c = 0; c < classes; c++) {
                double d = 0;
                for (int k = 0; k < 3; k++) {
                    d += (x[k + 1] - mean[c][k]) * (x[k + 1] - mean[c][k]);
                }
                if (d < bestD) {
                    bestD = d;
                    best = c;
                }
            }
            right += best == (int) x[0] ? 1 : 0;
        }
        return right / (double) test.size();
    }

    /** Scale from small to large, occlusion, heavily occluded objects kept, every background source used. */
    @Test
    void scalesOcclusionAndBackgroundSourcesVary() {
        HardSyntheticDataset.Options o = HardSyntheticDataset.Options.defaults();
        Set<HardBackground.Source> sources = EnumSet.noneOf(HardBackground.Source.class);
        int small = 0, large = 0, occluded = 0, heavilyOccluded = 0, objects = 0;
        for (int i = 0; i < 40; i++) {
            HardScene.Result r = HardSyntheticDataset.scene(o, HardBackground.Photos.NONE, i);
            sources.add(r.background());
            int side = Math.min(r.image().width(), r.image().height());
            for (int k = 0; k < r.objectShapes().size(); k++) {
                Box b = r.visibleBoxes().get(k);
                double extent = Math.max(b.x2() - b.x1(), b.y2() - b.y1()) / side;
                small += extent < 0.12 ? 1 : 0;
                large += extent > 0.35 ? 1 : 0;
                double shown = r.visibleAreas()[k] / (double) r.silhouetteAreas()[k];
                occluded += shown < 0.9 ? 1 : 0;
                heavilyOccluded += shown < 0.4 ? 1 : 0;
                assertTrue(r.visibleAreas()[k] >= HardScene.MIN_VISIBLE_PIXELS);
                objects++;
            }
        }
        assertEquals(EnumSet.of(HardBackground.Source.SPECTRAL, HardBackground.Source.CELLS,
                HardBackground.Source.TURBULENCE), sources);
        assertTrue(small > objects / 10, small + " small of " + objects);
        assertTrue(large > objects / 10, large + " large of " + objects);
        assertTrue(occluded > objects / 4, occluded + " occluded of " + objects);
        assertTrue(heavilyOccluded > 0, "some heavily occluded objects are kept");
    }

    @Test
    void photographsFromAFolderBecomeBackgrounds() throws IOException {
        Path photos = Files.createDirectories(tmp.resolve("photos"));
        for (int k = 0; k < 2; k++) {
            BufferedImage img = new BufferedImage(900, 700, BufferedImage.TYPE_3BYTE_BGR);
            for (int y = 0; y < 700; y++) {
                for (int x = 0; x < 900; x++) {
                    img.setRGB(x, y, k == 0 ? (x % 256) << 16 | (y % 256) << 8 : ((x + y) % 256) << 8 | 0x40);
                }
            }
            ImageIO.write(img, "png", photos.resolve("photo" + k + ".png").toFile());
        }
        Files.writeString(photos.resolve("notes.txt"), "not an image");
        HardSyntheticDataset.Options o = SMALL.withImages(12).withBackgrounds(photos);
        HardBackground.Photos loaded = HardBackground.Photos.load(photos);
        assertEquals(List.of("photo0.png", "photo1.png"), loaded.names());
        int fromPhotos = 0;
        for (int i = 0; i < 12; i++) {
            HardScene.Result r = HardSyntheticDataset.scene(o, loaded, i);
            fromPhotos += r.background() == HardBackground.Source.PHOTO ? 1 : 0;
        }
        assertTrue(fromPhotos >= 3 && fromPhotos <= 9, fromPhotos + " of 12 on photos");
        HardSyntheticDataset.generate(tmp.resolve("p1"), o.withImages(3), ProgressListener.NONE);
        HardSyntheticDataset.generate(tmp.resolve("p2"), o.withImages(3), ProgressListener.NONE);
        Map<String, byte[]> a = files(tmp.resolve("p1")), b = files(tmp.resolve("p2"));
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name), b.get(name), name);
        }
        assertTrue(new String(a.get("synthetic.txt"), StandardCharsets.UTF_8).contains("photo0.png, photo1.png"));

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        DatasetException e = assertThrows(DatasetException.class,
                () -> HardSyntheticDataset.generate(tmp.resolve("x"), o.withBackgrounds(empty), ProgressListener.NONE));
        assertTrue(e.getMessage().contains("no JPEG or PNG"), e.getMessage());
    }

    @Test
    void optionsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new HardSyntheticDataset.Options(10, 300, 200, 0, 6,
                HardSyntheticDataset.CLASSES.names(), 0.02, 0.2, false, null, HardLook.defaults()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HardSyntheticDataset.Options(
                10, 200, 300, 0, 6, List.of("ring", "disc"), 0.02, 0.2, false, null, HardLook.defaults()));
        assertTrue(e.getMessage().contains("'disc'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new HardLook(0.5, 0.2, 180, List.of(HardLook.Pattern.FLAT), 5, 0.4));
        assertThrows(IllegalArgumentException.class, () -> new HardLook(0.2, 0.5, 200, List.of(HardLook.Pattern.FLAT), 5, 0.4));
        assertThrows(IllegalArgumentException.class, () -> new HardLook(0.2, 0.5, 30, List.of(), 5, 0.4));
        assertThrows(IllegalArgumentException.class, () -> new HardLook(0.2, 0.5, 30, List.of(HardLook.Pattern.FLAT), -1, 0.4));
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class, () -> HardLook.Pattern.byName("plaid"));
        assertTrue(p.getMessage().contains("'plaid'") && p.getMessage().contains("checker"), p.getMessage());
        assertEquals(HardLook.Pattern.GRADIENT, HardLook.Pattern.byName(" Gradient "));
    }

    /**
     * The default look draws exactly the images it drew before it could be changed (the digest
     * was taken from the generator as it stood at commit a70a608), so the results measured on the
     * family stay reproducible.
     */
    @Test
    void theDefaultLookDrawsTheFamilyAsFirstWritten() throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < 4; i++) {
            SyntheticDataset.Generated g = HardSyntheticDataset.render(HardSyntheticDataset.Options.defaults(), i);
            md.update(g.image().rgb());
            md.update(g.objectIds());
            md.update(g.classIds());
        }
        assertEquals("922616cc6956fd0daed79bd085882115a9df3992bcdae66179f26f463386081e",
                java.util.HexFormat.of().formatHex(md.digest()));
    }

    private static HardLook look(double minExtent, double maxExtent, double tilt, List<HardLook.Pattern> patterns,
            int clutter) {
        return new HardLook(minExtent, maxExtent, tilt, patterns, clutter, 0.4);
    }

    /** Surfaces take only the patterns asked for, and each of them. */
    @Test
    void surfacesDrawOnlyTheChosenPatterns() {
        List<HardLook.Pattern> two = List.of(HardLook.Pattern.GRADIENT, HardLook.Pattern.FLAT);
        HardScene scene = new HardScene(200, 200, 0, look(0.08, 0.5, 180, two, 5), new java.util.Random(3));
        Set<HardLook.Pattern> seen = EnumSet.noneOf(HardLook.Pattern.class);
        for (int i = 0; i < 200; i++) {
            seen.add(scene.texture().kind());
        }
        assertEquals(EnumSet.copyOf(two), seen);
        HardScene all = new HardScene(200, 200, 0, HardLook.defaults(), new java.util.Random(3));
        Set<HardLook.Pattern> every = EnumSet.noneOf(HardLook.Pattern.class);
        for (int i = 0; i < 200; i++) {
            every.add(all.texture().kind());
        }
        assertEquals(EnumSet.allOf(HardLook.Pattern.class), every);
    }

    /** The clutter count stays within its bound, reaches it, and is zero when asked. */
    @Test
    void clutterFollowsItsBound() {
        for (int bound : new int[] {0, 2, 5}) {
            HardScene scene = new HardScene(240, 240, 0, look(0.08, 0.5, 180, List.of(HardLook.Pattern.FLAT), bound),
                    new java.util.Random(bound));
            int most = 0;
            for (int i = 0; i < 300; i++) {
                long n = scene.layout(HardSyntheticDataset.CLASSES.names().stream().map(HardShape::byLabel).toList(), 3)
                        .stream().filter(s -> s.shape() == null).count();
                assertTrue(n <= bound, n + " clutter surfaces, bound " + bound);
                most = Math.max(most, (int) n);
            }
            assertEquals(bound, most);
        }
    }

    /**
     * Object extent: every silhouette of a look with objects at most 10 % of the side fits in the
     * disc of that diameter (stretched by the 4:3 aspect at most), while the median silhouette of
     * objects of 30–35 % is well above that bound (thin shapes such as the key fill little of their disc).
     */
    @Test
    void objectExtentFollowsTheLook() {
        int side = 240;
        double smallBound = Math.PI * Math.pow(side * 0.10 / 2, 2) * 4 / 3;
        HardSyntheticDataset.Options base = HardSyntheticDataset.Options.defaults().withImages(30);
        base = new HardSyntheticDataset.Options(30, side, side, 5, 1, base.classes(), 0.02, 0.2, false, null,
                base.look());
        HardSyntheticDataset.Options small = base.withLook(look(0.08, 0.10, 180, List.of(HardLook.Pattern.FLAT), 0));
        HardSyntheticDataset.Options large = base.withLook(look(0.30, 0.35, 180, List.of(HardLook.Pattern.FLAT), 0));
        List<Integer> largeAreas = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            for (int a : HardSyntheticDataset.scene(small, HardBackground.Photos.load(null), i).silhouetteAreas()) {
                assertTrue(a <= smallBound, "silhouette " + a + " beyond " + smallBound);
            }
            for (int a : HardSyntheticDataset.scene(large, HardBackground.Photos.load(null), i).silhouetteAreas()) {
                largeAreas.add(a);
            }
        }
        largeAreas.sort(null);
        assertTrue(largeAreas.get(largeAreas.size() / 2) > 1.5 * smallBound, "median large silhouette " + largeAreas);
    }

    /**
     * Tilt: lone arrows (no clutter, no occlusion) keep their long axis, measured from the mask's
     * second moments, within a few degrees of the tilt bound about horizontal; at any rotation
     * they point every way.
     */
    @Test
    void tiltFollowsTheLook() {
        HardSyntheticDataset.Options base = new HardSyntheticDataset.Options(40, 240, 240, 9, 1, List.of("arrow"), 0.0,
                0.2, false, null, look(0.3, 0.4, 10, List.of(HardLook.Pattern.FLAT), 0));
        double widest = 0;
        for (int i = 0; i < 40; i++) {
            widest = Math.max(widest, Math.abs(axisDegrees(HardSyntheticDataset.render(base, i))));
        }
        assertTrue(widest <= 10 + 4, "an arrow tilted " + widest + " degrees");
        HardSyntheticDataset.Options any = base.withLook(look(0.3, 0.4, 180, List.of(HardLook.Pattern.FLAT), 0));
        double anyWidest = 0;
        for (int i = 0; i < 40; i++) {
            anyWidest = Math.max(anyWidest, Math.abs(axisDegrees(HardSyntheticDataset.render(any, i))));
        }
        assertTrue(anyWidest > 45, "at any rotation the widest tilt was only " + anyWidest);
    }

    /** The long axis of the one object's mask, in degrees from horizontal in (-90, 90]. */
    private static double axisDegrees(SyntheticDataset.Generated g) {
        var mask = g.instances().getFirst().mask();
        int w = g.image().width(), h = g.image().height();
        double n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (mask.get(y, x)) {
                    n++;
                    sx += x;
                    sy += y;
                    sxx += (double) x * x;
                    syy += (double) y * y;
                    sxy += (double) x * y;
                }
            }
        }
        double cxx = sxx / n - sx / n * (sx / n), cyy = syy / n - sy / n * (sy / n), cxy = sxy / n - sx / n * (sy / n);
        return Math.toDegrees(0.5 * Math.atan2(2 * cxy, cxx - cyy));
    }
}
