package io.wiseseg.prm;

import io.wiseseg.util.Tensors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Our ResNet equals torchvision's (layer4 features) on the same formula weights and input. */
class ResNetParityTest {
    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "resnet50"})
    void layer4MatchesTorchvision(String arch) throws Exception {
        JsonNode meta = PrmFixtures.meta();
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ResNet net = new ResNet(ResNet.Depth.parse(arch), 64);
            assertEquals(meta.get(arch + "_keys").size() - 2, namedEntries(net), "entries besides fc.weight/fc.bias");
            PrmFixtures.fillWithFormula(net, meta.get(arch + "_keys"));
            Tensor x = PrmFixtures.tensor(meta.get("arrays").get("input"));
            JsonNode expected = meta.get("arrays").get(arch + "_layer4");
            Tensor y = net.forward(x);
            assertArrayEquals(PrmFixtures.shape(expected), Tensors.shape(y));
            double err = PrmFixtures.relativeError(Tensors.toFloats(y), PrmFixtures.floats(expected));
            assertTrue(err < 1e-4, arch + " relative error " + err);
        }
    }

    private static long namedEntries(ResNet net) {
        return net.named_parameters(true).size() + net.named_buffers(true).size();
    }
}
