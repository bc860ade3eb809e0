package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.backbone.ResNet;
import io.wiseseg.data.RgbImage;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.maskrcnn.MaskRcnnConfig;
import io.wiseseg.testing.TinyRun;
import io.wiseseg.testing.TraceFile;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code wiseseg bench}: its table, its JSON, its statistics and its refusals. */
class BenchCommandTest {
    @TempDir
    Path tmp;

    @Test
    void syntheticImagesInBatchesPrintTheTableAndWriteTheJson() throws Exception {
        Path json = tmp.resolve("bench.json"), trace = tmp.resolve("bench-trace.json");
        // 3 images asked in batches of 2: 2 whole batches, 4 images
        CliRun r = CliRun.run("bench", "--device", "cpu", "--checkpoint", TinyRun.dir().toString(), "--synthetic", "3", "--batch", "2",
                "--warmup", "1", "--iterations", "3", "--threads", "1", "--json", json.toString(),
                "--trace", trace.toString());
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        for (String row : List.of("model", "input", "device", "threads", "run", "throughput", "latency per batch",
                "latency per image", "host memory")) {
            assertTrue(out.contains("\n  " + row + " "), "row " + row + " in\n" + out);
        }
        // TinyRun's network is narrower than train-maskrcnn --model small
        assertTrue(out.contains("custom (ResNet-18 width 8, FPN 32 channels), " + SyntheticDataset.CLASSES.size()
                + " classes, input 64x64 px"), out);
        assertTrue(out.contains("3 random-noise images of 64x64 (seed 0)"), out);
        assertTrue(out.contains("warm-up 2 images, then 4 images timed in 2 batches of 2 (Segmenter.segmentBatch)"), out);
        assertTrue(out.contains("LibTorch 1, wiseseg kernels 1, OpenBLAS 1"), out);
        assertTrue(out.matches("(?s).*latency per batch +p50 +[0-9.]+ ms +p95 +[0-9.]+ ms +p99 +[0-9.]+ ms.*"), out);
        assertTrue(out.matches("(?s).*images/s.*high-water mark [0-9]+ MiB.*"), out);

        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertEquals("custom", j.at("/model/kind").asText());
        assertEquals(64, j.at("/model/inputHeight").asInt());
        assertEquals(SyntheticDataset.CLASSES.size(), j.at("/model/classes").asInt());
        assertTrue(j.at("/model/parameters").asLong() > 0);
        assertEquals(2, j.get("batch").asInt());
        assertEquals(2, j.get("warmupImages").asInt());
        assertEquals(4, j.get("timedImages").asInt());
        assertEquals(2, j.get("batches").asInt());
        double[] batches = new double[2];
        for (int i = 0; i < 2; i++) {
            batches[i] = j.at("/latencyMs/batches").get(i).asDouble();
            assertTrue(batches[i] > 0);
        }
        // nearest rank of two values: p50 is the smaller, p95 and p99 the larger
        double lo = Math.min(batches[0], batches[1]), hi = Math.max(batches[0], batches[1]);
        assertEquals(lo, j.at("/latencyMs/batch/p50").asDouble(), 1e-9);
        assertEquals(hi, j.at("/latencyMs/batch/p95").asDouble(), 1e-9);
        assertEquals(hi, j.at("/latencyMs/batch/p99").asDouble(), 1e-9);
        assertEquals(lo / 2, j.at("/latencyMs/image/p50").asDouble(), 1e-9, "a batch's time over its 2 images");
        double seconds = j.get("seconds").asDouble();
        assertTrue(seconds * 1000 >= batches[0] + batches[1], "the timed loop holds both batches");
        assertEquals(4 / seconds, j.get("imagesPerSecond").asDouble(), 1e-6);
        long rss = j.at("/memory/rssBytes").asLong(), hwm = j.at("/memory/highWaterMarkBytes").asLong();
        assertTrue(rss > 0 && hwm >= rss, rss + " " + hwm);
        assertEquals(1, j.at("/threads/libtorch").asInt());
        assertTrue(j.at("/cpu/model").asText().length() > 0);

        TraceFile t = TraceFile.read(trace);
        t.assertNested();
        TraceFile.Span timed = t.named("timed").getFirst();
        assertEquals(2, t.within(timed, "segment batch").size());
        assertEquals(1, t.within(t.named("warm-up").getFirst(), "segment batch").size());
    }

    @Test
    void anUnknownDeviceIsRefusedInOneLine() {
        CliRun other = CliRun.run("bench", "--checkpoint", TinyRun.dir().toString(), "--synthetic", "1", "--device", "tpu");
        assertEquals(2, other.code());
        assertEquals("wiseseg: --device tpu: expected cpu, cuda or cuda:N\n", other.err());
        CliRun noInput = CliRun.run("bench", "--checkpoint", TinyRun.dir().toString());
        assertEquals(2, noInput.code(), "picocli's usage error: one of --images and --synthetic");
    }

    @Test
    void imagesFromAFolderCycle() throws Exception {
        List<Path> files = TinyRun.images();
        CliRun r = CliRun.run("bench", "--checkpoint", TinyRun.dir().toString(), "--images",
                files.getFirst().getParent().toString(), "--warmup", "0", "--iterations", "6", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        // 6 images timed from a folder of 4: all 4 read, cycled
        assertTrue(r.out().contains("input               " + files.size() + " images of " + files.getFirst().getParent()
                + ", decoded before timing"), r.out());
        assertTrue(r.out().contains("warm-up 0 images, then 6 images timed in 6 batches of 1 (Segmenter.segment)"), r.out());
    }

    @Test
    void percentilesAreNearestRank() {
        double[] hundred = IntStream.rangeClosed(1, 100).asDoubleStream().toArray();
        assertEquals(50, BenchCommand.Stats.rank(hundred, 50));
        assertEquals(95, BenchCommand.Stats.rank(hundred, 95));
        assertEquals(99, BenchCommand.Stats.rank(hundred, 99));
        double[] five = {10, 20, 30, 40, 50};
        assertEquals(30, BenchCommand.Stats.rank(five, 50));
        assertEquals(50, BenchCommand.Stats.rank(five, 95));
        BenchCommand.Stats s = BenchCommand.Stats.of(new double[] {7, 1, 3});
        assertEquals(3, s.p50());
        assertEquals(7, s.p99());
        assertEquals(1, s.min());
        assertEquals(11 / 3.0, s.mean(), 1e-12);
    }

    @Test
    void modelKindsAreTrainMaskRcnnsModels() {
        assertEquals("small", BenchCommand.kind(MaskRcnnConfig.small(7).withSizes(160, 160)));
        assertEquals("r50", BenchCommand.kind(MaskRcnnConfig.torchvision(21)));
        assertEquals("custom", BenchCommand.kind(MaskRcnnConfig.small(7).withBackbone(ResNet.Depth.RESNET18, 8, 32, 128, 32)));
    }

    @Test
    void syntheticImagesAreSeededNoiseOfTheInputSize() {
        List<RgbImage> a = BenchCommand.noise(2, 48, 80, 7), b = BenchCommand.noise(2, 48, 80, 7);
        assertEquals(80, a.getFirst().width());
        assertEquals(48, a.getFirst().height());
        assertTrue(Arrays.equals(a.get(1).rgb(), b.get(1).rgb()), "same seed, same pixels");
        assertTrue(!Arrays.equals(a.get(0).rgb(), a.get(1).rgb()), "two different images");
        assertTrue(!Arrays.equals(a.get(0).rgb(), BenchCommand.noise(1, 48, 80, 8).getFirst().rgb()), "another seed");
    }
}
