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
 * image, in the same run. Prints a markdown table of medians and their ratio.
 *
 * <p>Run: {@code bench/run.sh MaskRcnnBench [repeats]}.
 */
public final class MaskRcnnBench {
    private static final int H = 480, W = 640, CLASSES = 91, THREADS = 2;

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        TorchRuntime.ensureLoaded();
        torch.set_num_threads(THREADS);
        Device.cpu().setNumThreads(THREADS);
        MaskRcnn model = new MaskRcnn(MaskRcnnConfig.torchvision(CLASSES), Device.cpu());
        MaskRcnnWeights.load(model, FormulaWeights.stateDict(model), "formula weights");
        Tensor image = FormulaWeights.image(H, W);
        List<Double> ours = new ArrayList<>();
        int detections = 0;
        for (int i = 0; i <= repeats; i++) { // the first run warms up
            try (PointerScope scope = new PointerScope()) {
                long t0 = System.nanoTime();
                Detections d = model.detect(List.of(image)).get(0);
                double ms = (System.nanoTime() - t0) / 1e6;
                detections = d.count();
                if (i > 0) {
                    ours.add(ms);
                }
            }
        }
        JsonNode ref = reference(repeats);
        double oursMs = median(ours);
        System.out.println("| model | input | wiseseg CPU (ms) | torchvision 0.14 (ms) | ours / torchvision | target |");
        System.out.println("|---|---|---|---|---|---|");
        String refMs = ref == null ? "-" : String.format("%.0f", ref.get("median_ms").asDouble());
        String ratio = ref == null ? "-" : String.format("%.2f", oursMs / ref.get("median_ms").asDouble());
        System.out.printf("| Mask R-CNN R50-FPN, %d classes | %d×%d → 800×1066 (padded 800×1088) | %.0f | %s | %s | ≤ 0.9 |%n",
                CLASSES, H, W, oursMs, refMs, ratio);
        System.out.println();
        System.out.println("medians of " + repeats + " runs after one warm-up, " + THREADS + " threads each; detections: ours "
                + detections + (ref == null ? "" : ", torchvision " + ref.get("detections").asInt())
                + "; our runs (ms): " + ours + (ref == null ? "" : "; torchvision runs (ms): " + ref.get("times_ms")));
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** Runs the Python reference in a child process; null when python3-torchvision is missing. */
    private static JsonNode reference(int repeats) throws Exception {
        Path script = Path.of("bench/reference/maskrcnn_reference.py");
        if (!Files.isExecutable(Path.of("/usr/bin/python3")) || !Files.exists(script)) {
            System.err.println("reference skipped: /usr/bin/python3 or " + script + " missing");
            return null;
        }
        Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), Integer.toString(repeats),
                Integer.toString(THREADS), Integer.toString(H), Integer.toString(W), Integer.toString(CLASSES))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            System.err.println("reference failed (is python3-torchvision installed?)");
            return null;
        }
        return new ObjectMapper().readTree(json);
    }
}
