package io.wiseseg.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.RgbImage;
import io.wiseseg.maskrcnn.MaskRcnnCheckpoint;
import io.wiseseg.maskrcnn.MaskRcnnConfig;
import io.wiseseg.pipeline.Segmenter;
import io.wiseseg.util.AtomicFiles;
import io.wiseseg.util.CpuInfo;
import io.wiseseg.util.Trace;
import io.wiseseg.util.TorchRuntime;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wiseseg bench}: how fast a trained Mask R-CNN segments, through the Java API a program
 * would use ({@link Segmenter}): images/s, latency percentiles per batch and per image, host
 * memory, and what the numbers depend on (threads, CPU, model).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time a trained Mask R-CNN (a train-maskrcnn output folder) through the Java API: images/s, "
                + "latency p50/p95/p99 per batch and per image, host memory (RSS high-water mark), threads, CPU.")
final class BenchCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    TraceOption trace;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    @Option(names = "--checkpoint", required = true, paramLabel = "RUN",
            description = "A train-maskrcnn --out folder (config.json + model.pt).")
    Path checkpoint;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--images", paramLabel = "DIR",
                description = "A folder of .jpg/.png images, decoded once before timing (decoding is not timed).")
        Path images;

        @Option(names = "--synthetic", paramLabel = "N",
                description = "N random-noise images of the model's input size (min-size × max-size), from --seed.")
        Integer synthetic;
    }

    @Option(names = "--batch", defaultValue = "1",
            description = "Images per call; above 1 through Segmenter.segmentBatch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--warmup", defaultValue = "3", description = "Images run before timing (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--iterations", defaultValue = "20",
            description = "Images timed, cycling through the inputs, rounded up to whole batches (default: ${DEFAULT-VALUE}).")
    int iterations;

    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the --synthetic images (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
    Path json;

    /** Latency percentiles (nearest rank) and extremes of a sample, in milliseconds. */
    record Stats(double p50, double p95, double p99, double mean, double min, double max) {
        static Stats of(double[] ms) {
            double[] s = ms.clone();
            Arrays.sort(s);
            return new Stats(rank(s, 50), rank(s, 95), rank(s, 99), Arrays.stream(s).average().orElse(Double.NaN),
                    s[0], s[s.length - 1]);
        }

        /** The nearest-rank percentile: the smallest value with at least p % of the sample at or below it. */
        static double rank(double[] sorted, double p) {
            int k = (int) Math.ceil(p / 100.0 * sorted.length);
            return sorted[Math.clamp(k - 1, 0, sorted.length - 1)];
        }

        ObjectNode toJson(ObjectNode o) {
            return o.put("p50", p50).put("p95", p95).put("p99", p99).put("mean", mean).put("min", min).put("max", max);
        }

        String line() {
            return String.format(Locale.ROOT, "p50 %7.1f ms   p95 %7.1f ms   p99 %7.1f ms   (min %.1f, mean %.1f, max %.1f)",
                    p50, p95, p99, min, mean, max);
        }
    }

    @Override
    public Integer call() throws IOException {
        threads.value(); // a bad count is refused before any work
        io.wiseseg.kernels.Device device = deviceOption.resolve(); // before any other work
        if (batch < 1) {
            throw new UserException("--batch must be at least 1, got " + batch);
        }
        if (warmup < 0) {
            throw new UserException("--warmup must be at least 0, got " + warmup);
        }
        if (iterations < 1) {
            throw new UserException("--iterations must be at least 1, got " + iterations);
        }
        if (input.synthetic != null && input.synthetic < 1) {
            throw new UserException("--synthetic must be at least 1, got " + input.synthetic);
        }
        if (json != null && !Files.isDirectory(json.toAbsolutePath().getParent())) {
            throw new UserException("--json " + json + ": no such folder " + json.toAbsolutePath().getParent());
        }
        MaskRcnnConfig config;
        try {
            config = MaskRcnnCheckpoint.readConfig(checkpoint);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        int warmupBatches = (warmup + batch - 1) / batch, timedBatches = (iterations + batch - 1) / batch;
        int needed = (warmupBatches + timedBatches) * batch;
        List<RgbImage> images;
        String source;
        if (input.synthetic != null) {
            images = noise(input.synthetic, config.minSize(), config.maxSize(), seed);
            source = String.format(Locale.ROOT, "%d random-noise images of %dx%d (seed %d)", images.size(),
                    config.maxSize(), config.minSize(), seed);
        } else {
            int[] total = new int[1];
            images = read(input.images, needed, total);
            source = images.size() + " images of " + input.images
                    + (total[0] > images.size() ? " (the first " + images.size() + " of " + total[0] + " by name)" : "")
                    + ", decoded before timing";
        }

        Segmenter segmenter = LoadedSegmenter.load(checkpoint, threads, device);
        try (segmenter; ProgressBarListener bar = new ProgressBarListener()) {
            int next = 0;
            try (Trace.Span s = Trace.span("warm-up", "bench")) {
                for (int b = 0; b < warmupBatches; b++) {
                    run(segmenter, images, next);
                    next += batch;
                    bar.progress("bench warm-up", b + 1, warmupBatches);
                }
            }
            double[] batchMs = new double[timedBatches];
            long start = System.nanoTime();
            try (Trace.Span s = Trace.span("timed", "bench")) {
                for (int b = 0; b < timedBatches; b++) {
                    long t0 = System.nanoTime();
                    run(segmenter, images, next);
                    batchMs[b] = (System.nanoTime() - t0) / 1e6;
                    next += batch;
                    bar.progress("bench", b + 1, timedBatches);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            bar.close();
            report(config, segmenter, device, source, warmupBatches, batchMs, seconds);
        }
        return 0;
    }

    /** One timed call: {@code batch} images from {@code first} on, cycling through the inputs. */
    private void run(Segmenter segmenter, List<RgbImage> images, int first) {
        if (batch == 1) {
            segmenter.segment(images.get(first % images.size()));
            return;
        }
        List<RgbImage> group = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            group.add(images.get((first + i) % images.size()));
        }
        segmenter.segmentBatch(group);
    }

    private void report(MaskRcnnConfig config, Segmenter segmenter, io.wiseseg.kernels.Device device, String source, int warmupBatches, double[] batchMs,
            double seconds) throws IOException {
        int timedImages = batchMs.length * batch;
        double[] imageMs = Arrays.stream(batchMs).map(ms -> ms / batch).toArray();
        Stats perBatch = Stats.of(batchMs), perImage = Stats.of(imageMs);
        double imagesPerSecond = timedImages / seconds;
        long[] memory = memoryKb();
        Path weights = checkpoint.resolve(MaskRcnnCheckpoint.MODEL_FILE);
        long weightBytes = Files.size(weights);
        String kind = kind(config);
        String backbone = String.format(Locale.ROOT, "ResNet-%s width %d, FPN %d channels",
                config.depth().name().replace("RESNET", ""), config.width(), config.fpnChannels());
        String libtorchThreads = torch.get_num_threads() + "";
        String kernelThreads = threads.value() == null ? "default (every hardware thread)" : threads.value().toString();

        PrintWriter w = spec.commandLine().getOut();
        w.printf("wiseseg bench: %s%n", checkpoint);
        row(w, "model", String.format(Locale.ROOT, "%s (%s), %d classes, input %dx%d px, %.2f M parameters, %s %.1f MiB",
                kind, backbone, segmenter.classes().size(), config.maxSize(), config.minSize(),
                segmenter.parameterCount() / 1e6, MaskRcnnCheckpoint.MODEL_FILE, weightBytes / 1048576.0));
        row(w, "input", source);
        row(w, "device", deviceOption.spec + ": " + CpuInfo.modelName() + ", LibTorch ATen " + CpuInfo.atenCapability());
        row(w, "threads", "LibTorch " + libtorchThreads + ", wiseseg kernels " + kernelThreads + ", OpenBLAS "
                + TorchRuntime.openBlasThreads() + ", OpenMP waits " + TorchRuntime.openMpWaitPolicy().split(" ")[0]);
        row(w, "run", String.format(Locale.ROOT, "warm-up %d images, then %d images timed in %d %s of %d%s, %.2f s",
                warmupBatches * batch, timedImages, batchMs.length, batchMs.length == 1 ? "batch" : "batches", batch,
                batch > 1 ? " (Segmenter.segmentBatch)" : " (Segmenter.segment)", seconds));
        row(w, "throughput", String.format(Locale.ROOT, "%.2f images/s", imagesPerSecond));
        row(w, "latency per batch", perBatch.line());
        row(w, "latency per image", perImage.line() + (batch > 1 ? " (a batch's time / " + batch + ")" : ""));
        row(w, "host memory", String.format(Locale.ROOT, "RSS %.0f MiB now, high-water mark %.0f MiB (VmRSS, VmHWM)",
                memory[0] / 1024.0, memory[1] / 1024.0));
        long devicePeak = device.peakAllocatedBytes();
        if (devicePeak >= 0) {
            row(w, "device memory", String.format(Locale.ROOT, "high-water mark %.0f MiB allocated by LibTorch on %s",
                    devicePeak / 1048576.0, device.description()));
        }
        w.flush();

        if (json != null) {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode root = mapper.createObjectNode();
            root.put("checkpoint", checkpoint.toString());
            root.putObject("model").put("kind", kind).put("backbone", backbone)
                    .put("classes", segmenter.classes().size()).put("inputHeight", config.minSize())
                    .put("inputWidth", config.maxSize()).put("parameters", segmenter.parameterCount())
                    .put("weightBytes", weightBytes);
            root.put("input", source);
            root.put("device", deviceOption.spec);
            root.putObject("cpu").put("model", CpuInfo.modelName()).put("aten", CpuInfo.atenCapability())
                    .put("onednnMaxIsa", CpuInfo.onednnMaxIsa());
            root.putObject("threads").put("libtorch", torch.get_num_threads()).put("kernels", kernelThreads)
                    .put("openblas", TorchRuntime.openBlasThreads()).put("openmpWaitPolicy", TorchRuntime.openMpWaitPolicy());
            root.put("batch", batch).put("warmupImages", warmupBatches * batch).put("timedImages", timedImages)
                    .put("batches", batchMs.length).put("seconds", seconds).put("imagesPerSecond", imagesPerSecond);
            ObjectNode latency = root.putObject("latencyMs");
            perBatch.toJson(latency.putObject("batch"));
            perImage.toJson(latency.putObject("image"));
            ArrayNode all = latency.putArray("batches");
            Arrays.stream(batchMs).forEach(all::add);
            ObjectNode mem = root.putObject("memory").put("rssBytes", memory[0] * 1024)
                    .put("highWaterMarkBytes", memory[1] * 1024);
            if (devicePeak >= 0) {
                mem.put("devicePeakAllocatedBytes", devicePeak);
            }
            AtomicFiles.write(json, tmp -> mapper.writeValue(tmp.toFile(), root));
            w.println("wrote " + json);
            w.flush();
        }
    }

    private static void row(PrintWriter w, String key, String value) {
        w.printf("  %-19s %s%n", key, value);
    }

    /** "small" or "r50" when the network is train-maskrcnn's {@code --model} of that name, else "custom". */
    static String kind(MaskRcnnConfig c) {
        MaskRcnnConfig small = MaskRcnnConfig.small(c.numClasses()), r50 = MaskRcnnConfig.torchvision(c.numClasses());
        for (var k : List.of(java.util.Map.entry("small", small), java.util.Map.entry("r50", r50))) {
            MaskRcnnConfig m = k.getValue();
            if (m.depth() == c.depth() && m.width() == c.width() && m.fpnChannels() == c.fpnChannels()
                    && m.representationSize() == c.representationSize() && m.maskChannels() == c.maskChannels()) {
                return k.getKey();
            }
        }
        return "custom";
    }

    /** {VmRSS, VmHWM} of this process in KiB from /proc/self/status; -1 where unreadable (not Linux). */
    static long[] memoryKb() {
        long[] out = {-1, -1};
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    out[0] = kb(line);
                } else if (line.startsWith("VmHWM:")) {
                    out[1] = kb(line);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: unknown
        }
        return out;
    }

    private static long kb(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    /** {@code n} images of uniform random bytes, {@code width × height}, from {@code seed}. */
    static List<RgbImage> noise(int n, int height, int width, long seed) {
        Random random = new Random(seed);
        List<RgbImage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] rgb = new byte[3 * width * height];
            random.nextBytes(rgb);
            out.add(new RgbImage(width, height, rgb));
        }
        return out;
    }

    /** The first {@code most} JPEG/PNG files of {@code dir} in name order, decoded; {@code total[0]}: how many it has. */
    private static List<RgbImage> read(Path dir, int most, int[] total) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new UserException(dir + ": not a folder");
        }
        List<Path> files;
        try (Stream<Path> all = Files.list(dir)) {
            files = all.filter(p -> p.getFileName().toString().matches("(?i).*\\.(jpe?g|png)")).sorted().toList();
        }
        total[0] = files.size();
        files = files.subList(0, Math.min(most, files.size()));
        if (files.isEmpty()) {
            throw new UserException(dir + ": no .jpg or .png images");
        }
        List<RgbImage> out = new ArrayList<>(files.size());
        for (Path f : files) {
            out.add(ImageFiles.readRgb(f));
        }
        return out;
    }
}
