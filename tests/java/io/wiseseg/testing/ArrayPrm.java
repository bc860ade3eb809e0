package io.wiseseg.testing;

import io.wiseseg.prm.Peak;
import io.wiseseg.prm.PrmNetwork;
import io.wiseseg.util.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;

/**
 * The slow reference for peak response maps, as the code computed them before they stayed
 * tensors: one autograd backward per peak (the reference's loop), the channel sum clamped at 0,
 * then each map copied to a Java array and divided by its sum in a plain loop. Shared by the
 * tests of {@code prm} and {@code pseudo}.
 */
public final class ArrayPrm {
    private ArrayPrm() {}

    /** One H×W map per peak (map coordinates), row-major, at the input's resolution. */
    public static List<float[]> maps(PrmNetwork network, Tensor image, List<Peak> peaks) {
        Tensor x = image.detach().clone().set_requires_grad(true);
        Tensor maps = network.classResponseMaps(x);
        int c = (int) maps.size(1), h = (int) maps.size(2), w = (int) maps.size(3);
        List<float[]> out = new ArrayList<>();
        for (Peak p : peaks) {
            float[] seed = new float[c * h * w];
            seed[(p.classId() * h + p.y()) * w + p.x()] = 1f;
            if (x.grad().defined()) {
                x.grad().zero_();
            }
            maps.backward(Tensors.floats(seed, 1, c, h, w), new BoolOptional(true), false, new TensorArrayRefOptional());
            Tensor prm = x.grad().sum(new long[] {1}, false, new ScalarTypeOptional()).clamp_min(new Scalar(0.0));
            out.add(normalise(Tensors.toFloats(prm)));
        }
        return out;
    }

    /** Divides the values by their sum (in double, in order) when it is positive. */
    public static float[] normalise(float[] values) {
        float[] m = Arrays.copyOf(values, values.length);
        double sum = 0;
        for (float v : m) {
            sum += v;
        }
        if (sum > 0) {
            for (int j = 0; j < m.length; j++) {
                m[j] = (float) (m[j] / sum);
            }
        }
        return m;
    }

    /** The index of the first maximum (a later value must be strictly greater to win). */
    public static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
