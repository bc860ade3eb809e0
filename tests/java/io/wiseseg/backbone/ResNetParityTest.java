package io.wiseseg.backbone;

import io.wiseseg.testing.FloatArrays;
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
        JsonNode meta = ResNetFixtures.meta();
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ResNet net = new ResNet(ResNet.Depth.parse(arch), 64);
            assertEquals(meta.get(arch + "_keys").size() - 2, namedEntries(net), "entries besides fc.weight/fc.bias");
            ResNetFixtures.fillWithFormula(net, meta.get(arch + "_keys"));
            Tensor x = ResNetFixtures.tensor(meta.get("arrays").get("input"));
            JsonNode expected = meta.get("arrays").get(arch + "_layer4");
            Tensor y = net.forward(x);
            assertArrayEquals(ResNetFixtures.shape(expected), Tensors.shape(y));
            double err = FloatArrays.relativeError(Tensors.toFloats(y), ResNetFixtures.floats(expected));
            assertTrue(err < 1e-4, arch + " relative error " + err);
        }
    }

    /** The same check fails on one perturbed weight: the 1e-4 bound is not loose enough to hide an error. */
    @org.junit.jupiter.api.Test
    void aPerturbedWeightIsCaught() throws Exception {
        JsonNode meta = ResNetFixtures.meta();
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ResNet net = new ResNet(ResNet.Depth.parse("resnet18"), 64);
            ResNetFixtures.fillWithFormula(net, meta.get("resnet18_keys"));
            Tensor w = null;
            for (long i = 0; i < net.named_parameters(true).size(); i++) {
                if (net.named_parameters(true).get(i).key().getString().equals("layer3.0.conv2.weight")) {
                    w = net.named_parameters(true).get(i).value();
                }
            }
            assertTrue(w != null, "layer3.0.conv2.weight");
            w.select(0, 0).add_(new org.bytedeco.pytorch.Scalar(0.01)); // one filter, +0.01 per element
            Tensor y = net.forward(ResNetFixtures.tensor(meta.get("arrays").get("input")));
            double err = FloatArrays.relativeError(Tensors.toFloats(y), ResNetFixtures.floats(meta.get("arrays").get("resnet18_layer4")));
            System.out.println("mutation: resnet18 layer3.0.conv2 filter 0 + 0.01: relative error " + err);
            assertTrue(err >= 1e-4, "a perturbed filter passed: relative error " + err);
        }
    }

    private static long namedEntries(ResNet net) {
        return net.named_parameters(true).size() + net.named_buffers(true).size();
    }
}
