package io.wiseseg.maskrcnn;

import io.wiseseg.util.Tensors;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;

/**
 * The deterministic weights of tests/fixtures/make_maskrcnn_fixture.py (formula_values) and its
 * input image (formula_image), reproduced in Java: value = f(name) of sin(j · golden angle + phase(name)).
 */
public final class FormulaWeights {
    private static final double GOLDEN_ANGLE = 2.399963229728653;

    private FormulaWeights() {}

    /** A state dict for every parameter and buffer of {@code model} (counters excepted). */
    public static Map<String, Tensor> stateDict(Module model) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        add(model.named_parameters(true), out);
        add(model.named_buffers(true), out);
        return out;
    }

    private static void add(StringTensorDict dict, Map<String, Tensor> out) {
        for (long i = 0; i < dict.size(); i++) {
            String name = dict.get(i).key().getString();
            if (name.endsWith("num_batches_tracked")) {
                continue;
            }
            Tensor t = dict.get(i).value();
            long[] shape = new long[(int) t.dim()];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = t.size(d);
            }
            out.put(name, Tensors.floats(values(name, shape), shape));
        }
    }

    static double phase(String name) {
        long sum = 0;
        for (int k = 0; k < name.length(); k++) {
            sum += (long) (k + 1) * name.charAt(k);
        }
        return (sum % 9973) * 0.001;
    }

    static float[] values(String name, long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double ph = phase(name);
        double center, amp;
        if (name.endsWith("running_var")) {
            center = 1.0;
            amp = 0.2;
        } else if (name.endsWith("running_mean")) {
            center = 0;
            amp = 0.1;
        } else if (name.equals("roi_heads.box_predictor.cls_score.weight")) {
            center = 0;
            amp = 40.0 / Math.sqrt(shape[1]);
        } else if (shape.length >= 2) {
            long fanIn = n / shape[0];
            center = 0;
            amp = 2.0 / Math.sqrt(fanIn);
        } else if (name.startsWith("backbone.body.") && name.endsWith("weight")) {
            center = 0.9;
            amp = 0.1;
        } else if (name.equals("roi_heads.box_predictor.cls_score.bias")) {
            center = 0;
            amp = 0.5;
        } else {
            center = 0;
            amp = 0.05;
        }
        float[] v = new float[Math.toIntExact(n)];
        for (int j = 0; j < v.length; j++) {
            v[j] = (float) (center + amp * Math.sin(j * GOLDEN_ANGLE + ph));
        }
        return v;
    }

    /** formula_noisy_image: the formula image mixed with fract(sin(12.9898x + 78.233y + 37.719c) · 43758.5453). */
    public static Tensor noisyImage(int h, int w) {
        float[] base = Tensors.toFloats(image(h, w));
        float[] v = new float[base.length];
        int k = 0;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double n = Math.sin(12.9898 * x + 78.233 * y + 37.719 * c) * 43758.5453;
                    v[k] = (float) (0.5 * base[k] + 0.5 * (n - Math.floor(n)));
                    k++;
                }
            }
        }
        return Tensors.floats(v, 3, h, w);
    }

    public static Tensor image(int h, int w) {
        float[] v = new float[3 * h * w];
        int k = 0;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    v[k++] = (float) (0.5 + 0.25 * Math.sin(0.11 * x + 0.07 * y + c)
                            + 0.25 * Math.sin(0.013 * x * y / 4.0 + 2.0 * c));
                }
            }
        }
        return Tensors.floats(v, 3, h, w);
    }
}
