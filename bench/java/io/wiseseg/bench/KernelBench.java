package io.wiseseg.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PackedMasks;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.kernels.ProposalScorer;
import io.wiseseg.kernels.RoiAlign;
import io.wiseseg.util.TorchRuntime;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Times the CPU kernels on the benchmark shapes of ../shared/notes/anchors.md and, in the same
 * run, the reference implementations (torchvision / PRM / numpy, bench/reference/
 * kernels_reference.py under /usr/bin/python3); prints a markdown table of medians and ratios.
 *
 * <p>Run: {@code bench/run.sh KernelBench [repeats]}. {@code bench/run.sh KernelBench peaks1 [calls]}
 * times only the 1×20×112×112 peak-finding call (seeded maps, JIT warmed by 300 calls, then
 * {@code calls} timed calls, default 301) and the reference op: the quick A/B check for changes
 * to the Java side of that call.
 */
public final class KernelBench {
    record Row(String name, String shape, double oursMs, String target, double targetRatio) {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("peaks1")) {
            peaksOnly(args.length > 1 ? Integer.parseInt(args[1]) : 301);
            return;
        }
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        TorchRuntime.ensureLoaded();
        Device cpu = Device.cpu();
        List<Row> rows = new ArrayList<>();
        Random rnd = new Random(0);

        Tensor feats = torch.randn(1, 256, 200, 272);
        Tensor rois = rois(rnd, 1000, 800, 1088);
        RoiAlign roiAlign = new RoiAlign(cpu);
        RoiAlign.Params p7 = new RoiAlign.Params(7, 7, 0.25f, 2, false);
        RoiAlign.Params p14 = new RoiAlign.Params(14, 14, 0.25f, 2, false);
        rows.add(new Row("roi_align_7x7", "1000 RoIs, 256×200×272, 7×7, s=2", time(repeats,
                () -> roiAlign.forward(feats, rois, p7)), "≥ 4×", 4));
        rows.add(new Row("roi_align_14x14", "1000 RoIs, 256×200×272, 14×14, s=2", time(repeats,
                () -> roiAlign.forward(feats, rois, p14)), "≥ 4×", 4));
        Tensor grad = torch.randn(1000, 256, 7, 7);
        long[] shape = {1, 256, 200, 272};
        rows.add(new Row("roi_align_7x7_fwd_bwd", "same, forward + backward", time(repeats, () -> {
            roiAlign.forward(feats, rois, p7);
            roiAlign.backward(grad, rois, shape, p7);
        }), "≥ 3×", 3));

        PeakFinder peaks = new PeakFinder(cpu);
        Tensor maps16 = torch.randn(16, 20, 112, 112);
        Tensor maps1 = torch.randn(1, 20, 112, 112);
        rows.add(new Row("peaks_16x20x112", "16×20×112×112, median filter", time(repeats,
                () -> peaks.find(maps16, 3)), "≥ 5×", 5));
        rows.add(new Row("peaks_1x20x112", "1×20×112×112, median filter", time(repeats,
                () -> peaks.find(maps1, 3)), "≥ 5×", 5));

        int h = 375, w = 500, k = 20, np = 500;
        PackedMasks masks = new PackedMasks(np, h, w);
        byte[] px = new byte[h * w];
        for (int i = 0; i < np; i++) {
            for (int j = 0; j < px.length; j++) {
                px[j] = (byte) (rnd.nextFloat() < 0.2f ? 1 : 0);
            }
            masks.setBytes(i, px);
        }
        Tensor prms = torch.rand(k, h, w);
        float[] thr = new float[k];
        Arrays.fill(thr, 0.5f);
        int[] points = new int[2 * k];
        ProposalScorer scorer = new ProposalScorer(cpu);
        rows.add(new Row("proposal_sums_20x500", "20 maps × 500 proposals, 375×500: sums, IoU, contains",
                time(repeats, () -> scorer.score(masks, prms, thr, points, -1)), "≥ 100×", 100));
        rows.add(new Row("proposal_sums_20x500+boundary", "same + 5×5 boundary sums",
                time(repeats, () -> scorer.score(masks, prms, thr, points, 2)), "—", 0));

        Map<String, Double> ref = reference(repeats);
        System.out.println("| kernel | shape | wiseseg CPU (ms) | reference (ms) | speed-up | target |");
        System.out.println("|---|---|---:|---:|---:|---|");
        for (Row r : rows) {
            String refName = r.name.replace("+boundary", "");
            Double refMs = ref.get(refName);
            String speed = refMs == null ? "n/a" : String.format("%.1f×", refMs / r.oursMs);
            String verdict = refMs == null || r.targetRatio == 0 ? "" : (refMs / r.oursMs >= r.targetRatio ? " ✓" : " ✗");
            System.out.printf("| %s | %s | %.2f | %s | %s | %s%s |%n", r.name, r.shape, r.oursMs,
                    refMs == null ? "n/a" : String.format("%.1f", refMs), speed, r.target, verdict);
        }
        System.out.println();
        System.out.println("medians of " + repeats + " runs (reference proposal loop: of " + Math.max(1, repeats / 5)
                + "); kernel threads: " + cpu.description() + "; reference: torch.set_num_threads(2)");
    }

    /** The 1×20×112×112 peak-finding call alone: median and spread of many timed calls. */
    static void peaksOnly(int calls) throws Exception {
        TorchRuntime.ensureLoaded();
        Device cpu = Device.cpu();
        torch.manual_seed(0);
        Tensor maps1 = torch.randn(1, 20, 112, 112);
        PeakFinder peaks = new PeakFinder(cpu);
        for (int i = 0; i < 300; i++) {
            try (PointerScope s = new PointerScope()) {
                peaks.find(maps1, 3);
            }
        }
        double[] t = new double[calls];
        for (int i = 0; i < calls; i++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                peaks.find(maps1, 3);
                t[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(t);
        double ours = t[calls / 2];
        Double ref = reference(calls, "peaks_1x20x112").get("peaks_1x20x112");
        System.out.printf("peaks_1x20x112: wiseseg %.3f ms (p10 %.3f, p90 %.3f, %d calls); reference %s; %s%n",
                ours, t[calls / 10], t[calls * 9 / 10], calls,
                ref == null ? "n/a" : String.format("%.3f ms", ref),
                ref == null ? "" : String.format("speed-up %.2f×", ref / ours));
    }

    interface Work {
        void run() throws Exception;
    }

    /** Median wall time in ms of {@code repeats} runs after one warm-up; native memory freed per run. */
    static double time(int repeats, Work work) throws Exception {
        try (PointerScope s = new PointerScope()) {
            work.run();
        }
        double[] t = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                work.run();
                t[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(t);
        return t[repeats / 2];
    }

    static Tensor rois(Random rnd, int r, float imgH, float imgW) {
        float[] v = new float[5 * r];
        for (int i = 0; i < r; i++) {
            float x1 = rnd.nextFloat() * imgW * 0.9f, y1 = rnd.nextFloat() * imgH * 0.9f;
            v[5 * i + 1] = x1;
            v[5 * i + 2] = y1;
            v[5 * i + 3] = x1 + 8 + rnd.nextFloat() * imgW * 0.3f;
            v[5 * i + 4] = y1 + 8 + rnd.nextFloat() * imgH * 0.3f;
        }
        Tensor t = torch.empty(new long[] {r, 5}, new TensorOptions(torch.ScalarType.Float),
                new org.bytedeco.pytorch.MemoryFormatOptional());
        MemorySegment.copy(v, 0, MemorySegment.ofAddress(t.data_ptr().address()).reinterpret(t.nbytes()),
                ValueLayout.JAVA_FLOAT, 0, v.length);
        return t;
    }

    /** Runs the Python reference in a child process; empty when python3-torch is missing. */
    static Map<String, Double> reference(int repeats, String... names) throws IOException, InterruptedException {
        Path script = Path.of("bench/reference/kernels_reference.py");
        Map<String, Double> out = new LinkedHashMap<>();
        if (!Files.isExecutable(Path.of("/usr/bin/python3")) || !Files.exists(script)) {
            System.err.println("reference skipped: /usr/bin/python3 or " + script + " missing");
            return out;
        }
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", script.toString(),
                Integer.toString(repeats), "2"));
        command.addAll(List.of(names));
        Process p = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            System.err.println("reference failed (is python3-torchvision installed?)");
            return out;
        }
        JsonNode node = new ObjectMapper().readTree(json);
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asDouble()));
        return out;
    }
}
