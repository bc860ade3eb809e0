package io.wiseseg.kernels;

import io.wiseseg.testing.ArrayFixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The NMS kernel against torchvision's nms / batched_nms (fixtures) and a naive Java NMS. */
class NmsTest {
    static List<Device> devices() {
        return TestTensors.devices();
    }

    /** The reference: stable sort by score, greedy, IoU without +1, in float32. */
    static int[] naive(float[] b, float[] s, int[] groups, float threshold) {
        Integer[] order = IntStream.range(0, s.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -s[i]));
        boolean[] dead = new boolean[s.length];
        List<Integer> keep = new ArrayList<>();
        for (int oi = 0; oi < order.length; oi++) {
            int i = order[oi];
            if (dead[i]) {
                continue;
            }
            keep.add(i);
            for (int oj = oi + 1; oj < order.length; oj++) {
                int j = order[oj];
                if (groups != null && groups[i] != groups[j]) {
                    continue;
                }
                float w = Math.max(0f, Math.min(b[4 * i + 2], b[4 * j + 2]) - Math.max(b[4 * i], b[4 * j]));
                float h = Math.max(0f, Math.min(b[4 * i + 3], b[4 * j + 3]) - Math.max(b[4 * i + 1], b[4 * j + 1]));
                float inter = w * h;
                float ai = (b[4 * i + 2] - b[4 * i]) * (b[4 * i + 3] - b[4 * i + 1]);
                float aj = (b[4 * j + 2] - b[4 * j]) * (b[4 * j + 3] - b[4 * j + 1]);
                if (inter / (ai + aj - inter) > threshold) {
                    dead[j] = true;
                }
            }
        }
        return keep.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] kept(Tensor keep) {
        long[] l = TensorAccess.toLongs(keep);
        return Arrays.stream(l).mapToInt(Math::toIntExact).toArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"random", "dense", "ties", "large"})
    void matchesTorchvision(String name) throws Exception {
        ArrayFixture f = ArrayFixture.load("kernels", "nms_" + name);
        float threshold = (float) f.meta.get("iou_threshold").asDouble();
        float[] boxes = f.floats("boxes"), scores = f.floats("scores");
        int[] groups = f.ints("groups");
        long[] g = Arrays.stream(groups).asLongStream().toArray();
        for (Device d : devices()) {
            Nms nms = new Nms(d);
            Tensor b = TestTensors.on(TestTensors.floats(boxes, scores.length, 4), d);
            Tensor s = TestTensors.on(TestTensors.floats(scores, scores.length), d);
            Tensor gt = TestTensors.on(org.bytedeco.pytorch.global.torch.tensor(g), d);
            assertArrayEquals(f.ints("keep"), kept(nms.apply(b, s, threshold)), name + " nms on " + d);
            int[] batched = kept(nms.batched(b, s, gt, threshold));
            int[] expected = f.ints("batched_keep");
            // torchvision orders the batched result by an unstable sort: compare as sets when scores tie
            if (name.equals("ties")) {
                batched = Arrays.stream(batched).sorted().toArray();
                expected = Arrays.stream(expected).sorted().toArray();
            }
            assertArrayEquals(expected, batched, name + " batched_nms on " + d);
        }
    }

    @ParameterizedTest
    @MethodSource("devices")
    void matchesNaiveOnRandomBoxesWithTies(Device d) {
        Random r = new Random(3);
        for (int trial = 0; trial < 5; trial++) {
            int n = 1 + r.nextInt(400);
            float[] b = new float[4 * n], s = new float[n];
            int[] groups = new int[n];
            for (int i = 0; i < n; i++) {
                float x = r.nextFloat() * 100, y = r.nextFloat() * 100;
                b[4 * i] = x;
                b[4 * i + 1] = y;
                b[4 * i + 2] = x + 1 + r.nextFloat() * 30;
                b[4 * i + 3] = y + 1 + r.nextFloat() * 30;
                s[i] = r.nextInt(5) / 5f; // many exact ties: input order must break them
                groups[i] = r.nextInt(3);
            }
            float threshold = 0.1f + 0.8f * r.nextFloat();
            Nms nms = new Nms(d);
            Tensor bt = TestTensors.on(TestTensors.floats(b, n, 4), d), st = TestTensors.on(TestTensors.floats(s, n), d);
            Tensor gt = TestTensors.on(org.bytedeco.pytorch.global.torch.tensor(Arrays.stream(groups).asLongStream().toArray()), d);
            assertArrayEquals(naive(b, s, null, threshold), kept(nms.apply(bt, st, threshold)));
            assertArrayEquals(naive(b, s, groups, threshold), kept(nms.batched(bt, st, gt, threshold)));
        }
    }

    @ParameterizedTest
    @MethodSource("devices")
    void emptyAndSingle(Device d) {
        Nms nms = new Nms(d);
        Tensor none = TestTensors.on(TestTensors.floats(new float[0], 0, 4), d);
        assertEquals(0, nms.apply(none, TestTensors.on(TestTensors.floats(new float[0], 0), d), 0.5f).size(0));
        Tensor one = TestTensors.on(TestTensors.floats(new float[] {0, 0, 0, 0}, 1, 4), d); // zero area: IoU NaN
        assertArrayEquals(new int[] {0}, kept(nms.apply(one, TestTensors.on(TestTensors.floats(new float[] {1}, 1), d), 0.5f)));
        // identical boxes: the first of equal scores survives
        Tensor same = TestTensors.on(TestTensors.floats(new float[] {0, 0, 10, 10, 0, 0, 10, 10}, 2, 4), d);
        assertArrayEquals(new int[] {0}, kept(nms.apply(same, TestTensors.on(TestTensors.floats(new float[] {1, 1}, 2), d), 0.5f)));
    }

    @Test
    void rejectsBadArguments() {
        Nms nms = new Nms(Device.cpu());
        var e = assertThrows(IllegalArgumentException.class,
                () -> nms.apply(TestTensors.floats(new float[6], 2, 3), TestTensors.floats(new float[2], 2), 0.5f));
        assertTrue(e.getMessage().contains("boxes"));
        e = assertThrows(IllegalArgumentException.class,
                () -> nms.apply(TestTensors.floats(new float[8], 2, 4), TestTensors.floats(new float[3], 3), 0.5f));
        assertTrue(e.getMessage().contains("scores"));
        assertThrows(KernelException.class, () -> nms.apply(TestTensors.floats(new float[8], 2, 4),
                TestTensors.floats(new float[] {Float.NaN, 1}, 2), 0.5f));
    }
}
