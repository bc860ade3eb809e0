package io.wiseseg.backbone;

import io.wiseseg.util.Tensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.util.TorchRuntime;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;

/** The arrays written by tests/fixtures/make_resnet_fixture.py, and its weight formula. */
final class ResNetFixtures {
    static {
        TorchRuntime.ensureLoaded();
    }

    static final Path DIR = Path.of(System.getProperty("wiseseg.test.resources", "tests/resources"),
            "fixtures", "backbone");

    private ResNetFixtures() {}

    static JsonNode meta() throws IOException {
        return new ObjectMapper().readTree(DIR.resolve("resnet_fixtures.json").toFile());
    }

    static long[] shape(JsonNode array) {
        long[] out = new long[array.get("shape").size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get("shape").get(i).asLong();
        }
        return out;
    }

    static ByteBuffer bytes(JsonNode array) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(DIR.resolve(array.get("file").asText()))).order(ByteOrder.LITTLE_ENDIAN);
    }

    static float[] floats(JsonNode array) throws IOException {
        ByteBuffer b = bytes(array);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    static Tensor tensor(JsonNode array) throws IOException {
        return Tensors.floats(floats(array), shape(array));
    }

    /** Fills the module's entries with the fixture's formula; {@code order} is torchvision's state-dict key order. */
    static void fillWithFormula(Module module, JsonNode order) {
        Map<String, Tensor> targets = new LinkedHashMap<>();
        put(module.named_parameters(true), targets);
        put(module.named_buffers(true), targets);
        try (NoGradGuard g = new NoGradGuard()) {
            for (int t = 0; t < order.size(); t++) {
                String key = order.get(t).asText();
                Tensor dst = targets.remove(key);
                if (dst == null) {
                    continue; // fc.*: not part of the backbone
                }
                if (key.endsWith("num_batches_tracked")) {
                    dst.zero_();
                    continue;
                }
                dst.copy_(Tensors.floats(formula(key, Tensors.shape(dst), t), Tensors.shape(dst)));
            }
        }
        if (!targets.isEmpty()) {
            throw new IllegalStateException("model entries not in torchvision's state dict: " + targets.keySet());
        }
    }

    /** See make_resnet_fixture.py: s = sin(0.37 i + t) in float64, then rounded to float32. */
    static float[] formula(String key, long[] shape, int t) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] out = new float[Math.toIntExact(n)];
        for (int i = 0; i < out.length; i++) {
            double s = Math.sin(0.37 * i + t);
            double v;
            if (key.endsWith("running_mean")) {
                v = 0.1 * s;
            } else if (key.endsWith("running_var")) {
                v = 0.75 + 0.25 * s;
            } else if (shape.length == 1 && key.endsWith("weight")) {
                v = 1 + 0.2 * s;
            } else if (shape.length == 1 && key.endsWith("bias")) {
                v = 0.1 * s;
            } else {
                v = s * Math.sqrt(2.0 / (n / shape[0]));
            }
            out[i] = (float) v;
        }
        return out;
    }

    private static void put(StringTensorDict dict, Map<String, Tensor> into) {
        for (long i = 0; i < dict.size(); i++) {
            into.put(dict.get(i).key().getString(), dict.get(i).value());
        }
    }
}
