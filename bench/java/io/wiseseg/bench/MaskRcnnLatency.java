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
import io.wiseseg.util.Trace;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Our Mask R-CNN inference alone, one image per request, for before/after comparisons of two
 * builds (bench/maskrcnn_before_after.sh alternates fresh JVMs of this, one per build): loads
 * the model on formula weights and MaskRcnnBench's 480×640 image, runs one warm-up, prints
 * "ready", then answers each "run" line on stdin with a tab-separated line: milliseconds,
 * detections, the process's CPU milliseconds (user + system, all threads: less disturbed than
 * the wall time by other work on a shared machine), then "stage=milliseconds" for each of the
 * detector's trace spans (recorded with util.Trace, a few microseconds a span). Uses only the
 * public API that older builds have too, so the same source compiles against either.
 *
 * <p>Args: {@code r50} (torchvision's R50-FPN, 91 classes, 800-pixel short side) or {@code small}
 * (MaskRcnnConfig.small, 21 classes, 256-pixel short side); threads (default 2).
 */
public final class MaskRcnnLatency {
    private static final int H = 480, W = 640;

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "r50";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        TorchRuntime.ensureLoaded();
        torch.set_num_threads(threads);
        Device.cpu().setNumThreads(threads);
        MaskRcnnConfig config = switch (which) {
            case "r50" -> MaskRcnnConfig.torchvision(91);
            case "small" -> MaskRcnnConfig.small(21);
            default -> throw new IllegalArgumentException("model must be r50 or small, got " + which);
        };
        MaskRcnn model = new MaskRcnn(config, Device.cpu());
        // in a scope: util.TorchvisionWeights.load holds tensors by reference into a dict it lets
        // the GC free before it copies into them (a crash seen here once); the scope keeps the dict
        try (PointerScope scope = new PointerScope()) {
            MaskRcnnWeights.load(model, FormulaWeights.stateDict(model), "formula weights");
        }
        Tensor image = FormulaWeights.image(H, W);
        once(model, image); // warm-up
        System.out.println("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Path file = Files.createTempFile("maskrcnn-latency", ".json");
        try {
            for (String line; (line = in.readLine()) != null && line.equals("run"); ) {
                long cpu0 = cpuMillis();
                Trace.Recording recording = Trace.start();
                double[] r;
                try {
                    r = once(model, image);
                } finally {
                    recording.stop();
                }
                long cpu = cpuMillis() - cpu0;
                recording.write(file);
                StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%.3f\t%d\t%d", r[0], (int) r[1], cpu));
                for (JsonNode e : new ObjectMapper().readTree(file.toFile()).get("traceEvents")) {
                    if ("X".equals(e.path("ph").asText())) {
                        out.append(String.format(Locale.ROOT, "\t%s=%.3f", e.get("name").asText(),
                                e.get("dur").asDouble() / 1000));
                    }
                }
                System.out.println(out);
                System.out.flush();
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** User + system CPU time of the whole process so far (/proc/self/stat, in clock ticks of 10 ms). */
    private static long cpuMillis() throws java.io.IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10; // utime, stime; USER_HZ is 100 on Linux
    }

    /** One inference in its own PointerScope: {milliseconds, detections}. */
    private static double[] once(MaskRcnn model, Tensor image) {
        try (PointerScope scope = new PointerScope()) {
            long t0 = System.nanoTime();
            Detections d = model.detect(List.of(image)).get(0);
            return new double[] {(System.nanoTime() - t0) / 1e6, d.count()};
        }
    }
}
