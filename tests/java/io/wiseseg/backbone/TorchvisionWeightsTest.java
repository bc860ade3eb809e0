package io.wiseseg.backbone;

import io.wiseseg.util.Tensors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.wiseseg.util.TorchvisionWeights;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The .pth reader on a state dict saved by torch 1.13 (see make_resnet_fixture.py). */
class TorchvisionWeightsTest {
    static final Path TINY = ResNetFixtures.DIR.resolve("tiny_state_dict.pth");

    /** The tiny model's layout: conv1 (3→4, 3×3) and bn1, with torchvision's names. */
    static final class Tiny extends Module {
        final Conv conv1 = register_module("conv1", new Conv(3, 4, 3, 1, 0, false));
        final BatchNorm bn1 = register_module("bn1", new BatchNorm(4));
    }

    @Test
    void readsEveryEntryWithItsValues() throws Exception {
        JsonNode expected = ResNetFixtures.meta().get("tiny");
        Map<String, Tensor> sd = TorchvisionWeights.read(TINY);
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                "bn1.num_batches_tracked", "extra.transposed", "extra.slice", "extra.double"), List.copyOf(sd.keySet()));
        for (Map.Entry<String, Tensor> e : sd.entrySet()) {
            JsonNode array = expected.get(e.getKey());
            assertArrayEquals(ResNetFixtures.shape(array), Tensors.shape(e.getValue()), e.getKey());
            ByteBuffer b = ResNetFixtures.bytes(array);
            switch (array.get("dtype").asText()) {
                case "float32" -> assertArrayEquals(ResNetFixtures.floats(array), Tensors.toFloats(e.getValue()), e.getKey());
                case "float64" -> {
                    assertEquals(ScalarType.Double.value, e.getValue().scalar_type().value);
                    double[] d = new double[b.remaining() / 8];
                    b.asDoubleBuffer().get(d);
                    float[] got = Tensors.toFloats(e.getValue());
                    for (int i = 0; i < d.length; i++) {
                        assertEquals(d[i], got[i], 1e-7);
                    }
                }
                case "int64" -> {
                    assertEquals(ScalarType.Long.value, e.getValue().scalar_type().value);
                    assertEquals(b.getLong(0), e.getValue().item_long());
                }
                default -> throw new AssertionError(array);
            }
        }
    }

    @Test
    void loadsIntoAModuleByName() throws Exception {
        JsonNode expected = ResNetFixtures.meta().get("tiny");
        Tiny tiny = new Tiny();
        TorchvisionWeights.load(tiny, TINY, Set.of("extra."));
        assertArrayEquals(ResNetFixtures.floats(expected.get("conv1.weight")), Tensors.toFloats(tiny.conv1.weight));
        assertArrayEquals(ResNetFixtures.floats(expected.get("bn1.running_var")), Tensors.toFloats(tiny.bn1.runningVar));
        assertEquals(7, tiny.named_buffers(true).get("bn1.num_batches_tracked").item_long());
    }

    @Test
    void unexpectedAndMissingKeysAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TorchvisionWeights.load(new Tiny(), TINY, Set.of()));
        assertTrue(e.getMessage().contains("unexpected 3 keys extra.transposed"), e.getMessage());
        Map<String, Tensor> sd = TorchvisionWeights.read(TINY);
        sd.remove("bn1.bias");
        e = assertThrows(IllegalArgumentException.class, () -> TorchvisionWeights.load(new Tiny(), sd, Set.of("extra."), "x.pth"));
        assertEquals("x.pth: weights do not match the model: missing 1 key bn1.bias", e.getMessage());
    }

    @Test
    void shapeMismatchIsNamed() {
        Map<String, Tensor> sd = TorchvisionWeights.read(TINY);
        sd.put("conv1.weight", Tensors.floats(new float[4 * 3 * 5 * 5], 4, 3, 5, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TorchvisionWeights.load(new Tiny(), sd, Set.of("extra."), "x.pth"));
        assertEquals("x.pth: conv1.weight has shape [4, 3, 5, 5] in the file but [4, 3, 3, 3] in the model", e.getMessage());
    }

    @Test
    void badFilesGiveOneLineErrors(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("none.pth");
        assertEquals("weights file not found: " + missing,
                assertThrows(IllegalArgumentException.class, () -> TorchvisionWeights.read(missing)).getMessage());
        Path text = Files.writeString(dir.resolve("text.pth"), "not a zip");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchvisionWeights.read(text))
                .getMessage().startsWith(text + ": not a torch.save zip file"));
    }
}
