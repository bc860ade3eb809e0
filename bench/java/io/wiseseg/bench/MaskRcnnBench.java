package io.wiseseg.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.kernels.Device;
import io.wiseseg.maskrcnn.Detections;
import io.wiseseg.maskrcnn.FormulaWeights;
import io.wiseseg.maskrcnn.MaskRcnn;
import io.wiseseg.maskrcnn.MaskRcnnConfig;
import io.wiseseg.maskrcnn.MaskRcnnWeights;
import io.wiseseg.util.TorchRuntime;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * CPU inference latency of Mask R-CNN R50-FPN per image at an 800-pixel short side (a 480×640
 * image, resized to 800×1066, padded to 800×1088), 2 threads: ours and torchvision 0.14's
 * (bench/reference/maskrcnn_reference.py under /usr/bin/python3) on the same formula weights and
 * image, in the same run, alternating one run of each so both see the same load on a shared
 * machine. Prints a markdown table of medians and their ratio.
 *
 * <p>Run: {@code bench/run.sh MaskRcnnBench [repeats]}.
 */
public final class MaskRcnnBench {
    private static final int H = 480, W = 640, CLASSES = 91, THREADS = 2;

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        TorchRuntime.ensureLoaded();
        torch.set_num_threads(THREADS);
        Device.cpu().setNumThreads(THREADS);
        MaskRcnn model = new MaskRcnn(MaskRcnnConfig.torchvision(CLASSES), Device.cpu());
        MaskRcnnWeights.load(model, FormulaWeights.stateDict(model), "formula weights");
        Tensor image = FormulaWeights.image(H, W);
        Reference ref = Reference.start();
        timeOurs(model, image); // warm-up
        List<Double> ours = new ArrayList<>(), theirs = new ArrayList<>();
        int detections = 0, theirDetections = -1;
        // alternate the two sides so that both see the same load on a shared machine
        for (int i = 0; i < repeats; i++) {
            double[] o = timeOurs(model, image);
            ours.add(o[0]);
            detections = (int) o[1];
            if (ref != null) {
                JsonNode r = ref.run();
                theirs.add(r.get("ms").asDouble());
                theirDetections = r.get("detections").asInt();
            }
        }
        if (ref != null) {
            ref.close();
        }
        double oursMs = median(ours);
        System.out.println("| model | input | wiseseg CPU (ms) | torchvision 0.14 (ms) | ours / torchvision | target |");
        System.out.println("|---|---|---|---|---|---|");
        String refMs = ref == null ? "-" : String.format("%.0f", median(theirs));
        String ratio = ref == null ? "-" : String.format("%.2f", oursMs / median(theirs));
        System.out.printf("| Mask R-CNN R50-FPN, %d classes | %d×%d → 800×1066 (padded 800×1088) | %.0f | %s | %s | ≤ 0.9 |%n",
                CLASSES, H, W, oursMs, refMs, ratio);
        System.out.println();
        System.out.println("medians of " + repeats + " alternating runs after one warm-up each, " + THREADS
                + " threads; detections: ours " + detections + (ref == null ? "" : ", torchvision " + theirDetections)
                + "; our runs (ms): " + rounded(ours) + (ref == null ? "" : "; torchvision runs (ms): " + rounded(theirs)));
    }

    /** One inference in its own PointerScope: {milliseconds, detections}. */
    private static double[] timeOurs(MaskRcnn model, Tensor image) {
        try (PointerScope scope = new PointerScope()) {
            long t0 = System.nanoTime();
            Detections d = model.detect(List.of(image)).get(0);
            return new double[] {(System.nanoTime() - t0) / 1e6, d.count()};
        }
    }

    private static List<Long> rounded(List<Double> v) {
        return v.stream().map(Math::round).toList();
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** The Python reference as a child process that runs one inference per request. */
    private record Reference(Process process, BufferedReader out, PrintWriter in) {
        static Reference start() throws Exception {
            Path script = Path.of("bench/reference/maskrcnn_reference.py");
            if (!Files.isExecutable(Path.of("/usr/bin/python3")) || !Files.exists(script)) {
                System.err.println("reference skipped: /usr/bin/python3 or " + script + " missing");
                return null;
            }
            Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), Integer.toString(THREADS),
                    Integer.toString(H), Integer.toString(W), Integer.toString(CLASSES))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            if (!"ready".equals(first)) {
                System.err.println("reference failed to start (is python3-torchvision installed?)");
                p.destroy();
                return null;
            }
            return new Reference(p, out, new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8));
        }

        JsonNode run() throws Exception {
            in.println("run");
            String line = out.readLine();
            if (line == null) {
                throw new IllegalStateException("the reference process ended early");
            }
            return new ObjectMapper().readTree(line);
        }

        void close() throws Exception {
            in.close();
            process.waitFor();
        }
    }
}
