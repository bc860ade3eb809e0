package io.wiseseg.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.Mask;
import io.wiseseg.data.RgbImage;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.ProposalScorer;
import io.wiseseg.proposals.Proposal;
import io.wiseseg.proposals.SelectiveSearch;
import io.wiseseg.pseudo.BestIou;
import io.wiseseg.pseudo.BestObjectness;
import io.wiseseg.pseudo.ImageEvidence;
import io.wiseseg.pseudo.PrmRetrieval;
import io.wiseseg.pseudo.Seed;
import io.wiseseg.pseudo.Selection;
import io.wiseseg.util.TorchRuntime;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.global.opencv_ximgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.RectVector;
import org.bytedeco.opencv.opencv_ximgproc.SelectiveSearchSegmentation;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Pseudo-mask stage timings on 500×375 images: our selective search (mask proposals) next to
 * OpenCV's (boxes only), and the scoring + selection of each rule next to the reference's way, a
 * per-proposal loop — in numpy (bench/reference/pseudo_reference.py, PRM's instance_seg and
 * WISE's pointList2propDict loops on the same inputs) and as a plain Java loop over Masks.
 *
 * <p>The scoring inputs are the first 500 fast-mode proposals of one image (the numpy side holds
 * them as a P×H×W array), 10 peaks and random maps.
 *
 * <p>Run: {@code bench/run.sh PseudoBench [repeats [image files...]]}; given images are timed too.
 */
public final class PseudoBench {
    static final int H = 375, W = 500, K = 10, C = 20;

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        TorchRuntime.ensureLoaded();
        List<RgbImage> images = new ArrayList<>();
        List<SyntheticDataset.Generated> scenes = new ArrayList<>();
        SyntheticDataset.Options opts = SyntheticDataset.Options.defaults().withSize(W, H);
        for (int i = 0; i < 3; i++) {
            scenes.add(SyntheticDataset.render(opts, i));
            images.add(scenes.get(i).image());
        }
        List<RgbImage> given = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            given.add(ImageFiles.readRgb(Path.of(args[i])));
        }

        System.out.println("## Selective search, " + W + "×" + H + " (synthetic images), "
                + Runtime.getRuntime().availableProcessors() + " cores");
        System.out.println();
        System.out.println("| method | output | per image (ms, median) | proposals | ABO | recall@0.5 |");
        System.out.println("|---|---|---:|---:|---:|---:|");
        List<Proposal> fastProposals = null;
        for (SelectiveSearch.Options o : List.of(SelectiveSearch.Options.single(), SelectiveSearch.Options.fast(),
                SelectiveSearch.Options.quality())) {
            SelectiveSearch ss = new SelectiveSearch(o);
            int[] count = new int[1];
            double ms = perImage(repeats, images, im -> count[0] = ss.compute(im).size());
            double[] quality = coverage(ss, scenes);
            System.out.printf("| wiseseg %s | masks | %.0f | %d | %.3f | %.3f |%n", o.mode(), ms, count[0],
                    quality[0], quality[1]);
            if (o.mode().equals("fast")) {
                List<Proposal> all = ss.compute(images.get(0));
                fastProposals = all.subList(0, Math.min(500, all.size()));
            }
        }
        for (String mode : List.of("fast", "quality")) {
            int[] count = new int[1];
            double ms = perImage(repeats, images, im -> count[0] = openCvBoxes(im, mode));
            System.out.printf("| OpenCV ximgproc %s | boxes only | %.0f | %d | — | — |%n", mode, ms, count[0]);
        }
        System.out.println();
        System.out.println("ABO: mean over the ground-truth instances of the best proposal IoU; recall@0.5: "
                + "fraction of instances with a proposal of IoU ≥ 0.5.");
        for (RgbImage im : given) {
            System.out.println();
            System.out.println("Given image " + im.width() + "×" + im.height() + ":");
            System.out.println();
            System.out.println("| method | output | ms (median) | proposals |");
            System.out.println("|---|---|---:|---:|");
            for (SelectiveSearch.Options o : List.of(SelectiveSearch.Options.fast(), SelectiveSearch.Options.quality())) {
                SelectiveSearch ss = new SelectiveSearch(o);
                int[] count = new int[1];
                double ms = perImage(repeats, List.of(im), x -> count[0] = ss.compute(x).size());
                System.out.printf("| wiseseg %s | masks | %.0f | %d |%n", o.mode(), ms, count[0]);
            }
            for (String mode : List.of("fast", "quality")) {
                int[] count = new int[1];
                double ms = perImage(repeats, List.of(im), x -> count[0] = openCvBoxes(x, mode));
                System.out.printf("| OpenCV ximgproc %s | boxes only | %.0f | %d |%n", mode, ms, count[0]);
            }
        }

        // scoring + selection on the same inputs: fast proposals of image 0, random maps
        Random rnd = new Random(0);
        List<Seed> seeds = new ArrayList<>();
        for (int k = 0; k < K; k++) {
            seeds.add(new Seed(rnd.nextInt(C), rnd.nextInt(H), rnd.nextInt(W), 1f));
        }
        float[] prms = new float[K * H * W], cls = new float[C * H * W];
        for (int i = 0; i < prms.length; i++) {
            prms[i] = rnd.nextFloat() < 0.9f ? 0f : rnd.nextFloat();
        }
        for (int i = 0; i < cls.length; i++) {
            cls[i] = rnd.nextFloat() * 4 - 1;
        }
        ImageEvidence ev = new ImageEvidence("bench", H, W, seeds, tensor(prms, K), tensor(cls, C), fastProposals,
                null);
        ProposalScorer scorer = new ProposalScorer(Device.cpu());
        PrmRetrieval prm = PrmRetrieval.prm();
        BestObjectness wise = BestObjectness.wise();
        BestIou iou = new BestIou(1.0, 0);
        int p = fastProposals.size();
        Map<String, Double> ours = new LinkedHashMap<>();
        ours.put("prm_retrieval", time(repeats, () -> prm.select(ev, scorer)));
        ours.put("best_objectness", time(repeats, () -> wise.select(ev, scorer)));
        ours.put("best_iou", time(repeats, () -> iou.select(ev, scorer)));
        Map<String, Double> javaLoop = new LinkedHashMap<>();
        javaLoop.put("prm_retrieval", time(Math.max(1, repeats / 3), () -> prmLoop(ev, prms, cls, 100)));
        Map<String, Double> numpy = reference(repeats, fastProposals, seeds, prms, cls);

        System.out.println();
        System.out.println("## Scoring + selection, " + K + " peaks × " + p + " proposals (" + W + "×" + H
                + "), PRM retrieval over the first 100");
        System.out.println();
        System.out.println("| rule | wiseseg (ms) | per-proposal loop, numpy (ms) | speed-up | per-proposal loop, Java (ms) |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (Map.Entry<String, Double> e : ours.entrySet()) {
            Double np = numpy.get(e.getKey()), jl = javaLoop.get(e.getKey());
            System.out.printf("| %s | %.2f | %s | %s | %s |%n", e.getKey(), e.getValue(),
                    np == null ? "n/a" : String.format("%.1f", np),
                    np == null ? "n/a" : String.format("%.0f×", np / e.getValue()),
                    jl == null ? "—" : String.format("%.1f", jl));
        }
        System.out.println();
        System.out.println("medians of " + repeats + " runs; numpy: Debian python3-numpy, contour with "
                + "scipy.ndimage 5×5 dilation − erosion (PRM uses cv2.morphologyEx); masks pre-decoded on both sides");
    }

    interface Work {
        void run() throws Exception;
    }

    interface PerImage {
        void run(RgbImage image) throws Exception;
    }

    static double perImage(int repeats, List<RgbImage> images, PerImage work) throws Exception {
        work.run(images.get(0));
        double[] t = new double[repeats * images.size()];
        int n = 0;
        for (int r = 0; r < repeats; r++) {
            for (RgbImage im : images) {
                long t0 = System.nanoTime();
                work.run(im);
                t[n++] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    static double time(int repeats, Work work) throws Exception {
        work.run();
        double[] t = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            work.run();
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(t);
        return t[repeats / 2];
    }

    /** {ABO, recall at IoU 0.5} of the proposals over the scenes' instances. */
    static double[] coverage(SelectiveSearch ss, List<SyntheticDataset.Generated> scenes) {
        double sum = 0;
        int n = 0, hit = 0;
        for (SyntheticDataset.Generated g : scenes) {
            List<Proposal> props = ss.compute(g.image());
            for (var in : g.instances()) {
                double best = props.stream().mapToDouble(p -> p.mask().iou(in.mask())).max().orElse(0);
                sum += best;
                hit += best >= 0.5 ? 1 : 0;
                n++;
            }
        }
        return new double[] {n == 0 ? 0 : sum / n, n == 0 ? 0 : (double) hit / n};
    }

    static int openCvBoxes(RgbImage im, String mode) {
        try (Mat rgb = new Mat(im.height(), im.width(), opencv_core.CV_8UC3); Mat bgr = new Mat();
                SelectiveSearchSegmentation ss = opencv_ximgproc.createSelectiveSearchSegmentation();
                RectVector boxes = new RectVector()) {
            rgb.data().put(im.rgb());
            opencv_imgproc.cvtColor(rgb, bgr, opencv_imgproc.COLOR_RGB2BGR);
            ss.setBaseImage(bgr);
            if (mode.equals("fast")) {
                ss.switchToSelectiveSearchFast();
            } else {
                ss.switchToSelectiveSearchQuality();
            }
            ss.process(boxes);
            return (int) boxes.size();
        }
    }

    static Tensor tensor(float[] v, int k) {
        Tensor t = torch.empty(new long[] {k, H, W}, new TensorOptions(torch.ScalarType.Float),
                new org.bytedeco.pytorch.MemoryFormatOptional());
        MemorySegment.copy(v, 0, MemorySegment.ofAddress(t.data_ptr().address()).reinterpret(t.nbytes()),
                ValueLayout.JAVA_FLOAT, 0, v.length);
        return t;
    }

    /** The reference's way in Java: per peak, per proposal, sums over the mask's pixels. */
    static Selection prmLoop(ImageEvidence ev, float[] prms, float[] cls, int count) {
        PrmRetrieval.Params q = PrmRetrieval.Params.demo();
        int n = H * W, k = ev.seeds().size();
        int[] pick = new int[k];
        double[] score = new double[k];
        for (int j = 0; j < k; j++) {
            int c = ev.seeds().get(j).classId();
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += cls[c * n + i];
            }
            float t = (float) (q.bgThresholdFactor() * mean / n);
            double best = Double.NEGATIVE_INFINITY;
            pick[j] = -1;
            for (int p = 0; p < Math.min(count, ev.proposals().size()); p++) {
                Mask m = ev.proposals().get(p).mask();
                byte[] px = m.toBytes();
                long area = m.area();
                if (area >= 0.85 * n || area < 0.00002 * n) {
                    continue;
                }
                boolean[] contour = contour(px);
                double inside = 0, edge = 0, bg = 0;
                for (int i = 0; i < n; i++) {
                    float r = prms[j * n + i];
                    if (px[i] != 0) {
                        inside += r;
                        bg += cls[c * n + i] < t ? 1 : 0;
                    }
                    if (contour[i]) {
                        edge += r;
                    }
                }
                double v = q.balanceFactor() * inside + edge - q.penaltyFactor() * bg;
                if (v > best) {
                    best = v;
                    pick[j] = p;
                    score[j] = v;
                }
            }
        }
        return new Selection(pick, score);
    }

    /** 5×5 dilation minus erosion, separable (windows clipped at the border). */
    static boolean[] contour(byte[] px) {
        int[] rowMax = new int[H * W], rowMin = new int[H * W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int mx = 0, mn = 1;
                for (int d = Math.max(0, x - 2); d <= Math.min(W - 1, x + 2); d++) {
                    mx = Math.max(mx, px[y * W + d]);
                    mn = Math.min(mn, px[y * W + d]);
                }
                rowMax[y * W + x] = mx;
                rowMin[y * W + x] = mn;
            }
        }
        boolean[] out = new boolean[H * W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int mx = 0, mn = 1;
                for (int d = Math.max(0, y - 2); d <= Math.min(H - 1, y + 2); d++) {
                    mx = Math.max(mx, rowMax[d * W + x]);
                    mn = Math.min(mn, rowMin[d * W + x]);
                }
                out[y * W + x] = mx != mn;
            }
        }
        return out;
    }

    /** Writes the inputs as raw little-endian arrays and runs the numpy reference on them. */
    static Map<String, Double> reference(int repeats, List<Proposal> proposals, List<Seed> seeds, float[] prms,
            float[] cls) throws IOException, InterruptedException {
        Path script = Path.of("bench/reference/pseudo_reference.py");
        Map<String, Double> out = new LinkedHashMap<>();
        if (!Files.isExecutable(Path.of("/usr/bin/python3")) || !Files.exists(script)) {
            System.err.println("reference skipped: /usr/bin/python3 or " + script + " missing");
            return out;
        }
        Path dir = Files.createTempDirectory("pseudo-bench");
        try (OutputStream os = Files.newOutputStream(dir.resolve("masks.u8"))) {
            for (Proposal p : proposals) {
                os.write(p.mask().toBytes());
            }
        }
        ByteBuffer scores = ByteBuffer.allocate(4 * proposals.size()).order(ByteOrder.LITTLE_ENDIAN);
        proposals.forEach(p -> scores.putFloat(p.score()));
        Files.write(dir.resolve("scores.f32"), scores.array());
        ByteBuffer sd = ByteBuffer.allocate(12 * seeds.size()).order(ByteOrder.LITTLE_ENDIAN);
        seeds.forEach(s -> sd.putInt(s.classId()).putInt(s.y()).putInt(s.x()));
        Files.write(dir.resolve("seeds.i32"), sd.array());
        writeFloats(dir.resolve("prms.f32"), prms);
        writeFloats(dir.resolve("classes.f32"), cls);
        Process proc = new ProcessBuilder("/usr/bin/python3", script.toString(), dir.toString(),
                Integer.toString(proposals.size()), Integer.toString(H), Integer.toString(W), Integer.toString(C),
                Integer.toString(repeats)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String json = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = proc.waitFor();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
        if (rc != 0) {
            System.err.println("reference failed (python3-numpy and python3-scipy needed)");
            return out;
        }
        JsonNode node = new ObjectMapper().readTree(json);
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asDouble()));
        return out;
    }

    static void writeFloats(Path file, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Files.write(file, b.array());
    }
}
