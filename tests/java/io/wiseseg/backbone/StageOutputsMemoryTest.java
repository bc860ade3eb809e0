package io.wiseseg.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.util.TorchRuntime;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A forward pass inside one PointerScope (as a Segmenter call or a training step runs) keeps
 * alive only the stage outputs, not every block's activations: without that, the scope held
 * several GB for ResNet-50 at 800 pixels and batches of four took a server to 22 GB.
 */
class StageOutputsMemoryTest {
    @BeforeAll
    static void load() {
        TorchRuntime.ensureLoaded();
    }

    @Test
    void aScopedForwardKeepsOnlyTheStageOutputsAndComputesTheSameFeatures() {
        torch.manual_seed(3);
        ResNet net = new ResNet(ResNet.Depth.RESNET50, 8);
        Tensor x = torch.rand(2, 3, 64, 96);
        List<Tensor> unscoped;
        try (NoGradGuard g = new NoGradGuard()) {
            unscoped = net.stageOutputs(x); // no scope: the old path, freed by the garbage collector
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            long before = Pointer.totalCount();
            List<Tensor> scoped = net.stageOutputs(x);
            long live = Pointer.totalCount() - before;
            // 16 bottlenecks of ~10 tensors each would leave ~160; the four outputs (and at most a
            // few helpers) stay
            assertTrue(live <= 8, live + " native objects left alive by one forward pass");
            assertEquals(4, scoped.size());
            for (int s = 0; s < 4; s++) {
                assertTrue(torch.equal(unscoped.get(s), scoped.get(s)), "stage " + s);
            }
        }
    }

    @Test
    void gradientsStillFlowThroughTheFreedActivations() {
        torch.manual_seed(4);
        ResNet net = new ResNet(ResNet.Depth.RESNET18, 8);
        Tensor x = torch.rand(1, 3, 48, 48);
        Tensor expected;
        {
            Tensor xi = x.clone().set_requires_grad(true);
            List<Tensor> out = net.stageOutputs(xi);
            out.get(3).sum().add(out.get(1).sum()).backward();
            expected = xi.grad().clone();
        }
        try (PointerScope scope = new PointerScope()) {
            Tensor xi = x.clone().set_requires_grad(true);
            List<Tensor> out = net.stageOutputs(xi);
            out.get(3).sum().add(out.get(1).sum()).backward();
            assertTrue(torch.allclose(expected, xi.grad(), 1e-5, 1e-6, false), "input gradient with freed activations");
        }
    }
}
