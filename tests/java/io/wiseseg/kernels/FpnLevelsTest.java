package io.wiseseg.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FpnLevelsTest {
    static List<Device> devices() {
        return TestTensors.devices();
    }

    @ParameterizedTest
    @MethodSource("devices")
    void matchesTorchvisionLevelMapperFormula(Device device) {
        Random rnd = new Random(3);
        int r = 500;
        float[] rois = new float[5 * r];
        for (int i = 0; i < r; i++) {
            float x1 = rnd.nextFloat() * 800, y1 = rnd.nextFloat() * 800;
            float s = (float) Math.exp(rnd.nextFloat() * 7); // 1 .. 1100 px
            rois[5 * i + 1] = x1;
            rois[5 * i + 2] = y1;
            rois[5 * i + 3] = x1 + s * (0.5f + rnd.nextFloat());
            rois[5 * i + 4] = y1 + s;
        }
        // boxes whose size sits exactly on level boundaries: 112, 224, 448 px squares
        float[] edges = {112, 224, 448, 0};
        for (int i = 0; i < edges.length; i++) {
            rois[5 * i + 1] = 0;
            rois[5 * i + 2] = 0;
            rois[5 * i + 3] = edges[i];
            rois[5 * i + 4] = edges[i];
        }
        Tensor t = TestTensors.on(TestTensors.floats(rois, r, 5), device);
        int[] got = TestTensors.ints(new FpnLevels(device).assign(t, 2, 5));
        int[] expected = new int[r];
        for (int i = 0; i < r; i++) {
            // torchvision computes in float32: sqrt(area), log2(s / 224) + 4 + eps, floor, clamp
            float area = (rois[5 * i + 3] - rois[5 * i + 1]) * (rois[5 * i + 4] - rois[5 * i + 2]);
            float s = (float) Math.sqrt(area);
            float lvl = (float) Math.floor(4f + (float) (Math.log(s / 224f) / Math.log(2)) + 1e-6f);
            expected[i] = (int) Math.min(5, Math.max(2, lvl)) - 2;
        }
        assertArrayEquals(expected, got);
        assertEquals(1, got[0]); // 112 px → level 3
        assertEquals(2, got[1]); // 224 px → level 4
        assertEquals(3, got[2]); // 448 px → level 5
        assertEquals(0, got[3]); // empty box → clamped to level 2
    }

    @Test
    void levelOfScale() {
        assertEquals(2, FpnLevels.levelOfScale(0.25f));
        assertEquals(5, FpnLevels.levelOfScale(1f / 32));
    }
}
