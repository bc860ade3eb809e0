package io.wiseseg.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.backbone.ResNet;
import io.wiseseg.prm.PrmNetwork;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * {@link Device}: parsing what users type, and placing tensors and networks.
 */
class DeviceTest {
    @Test
    void parsesCpuAndRejectsWhatIsNotADevice() {
        assertSame(Device.cpu(), Device.parse("cpu"));
        assertSame(Device.cpu(), Device.parse(" CPU "));
        for (String bad : new String[] {"", "gpu", "cuda:", "cuda:x", "cuda:-1", "cuda0", "cpu:0", "cuda:1:2"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.parse(bad), bad);
            assertEquals("device " + bad + ": expected cpu, cuda or cuda:N", e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Device.parse(null));
    }

    @Test
    void cudaSaysWhatIsMissing() {
        TorchRuntime.ensureLoaded();
        if (torch.cuda_is_available()) { // a gpu build on a GPU machine: it must work
            Device d = Device.parse("cuda");
            assertEquals(Device.Kind.CUDA, d.kind());
            assertEquals("cuda:0", d.torchName());
            return;
        }
        for (String spec : new String[] {"cuda", "cuda:0", "cuda:3"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.parse(spec));
            assertTrue(e.getMessage().startsWith("device " + spec + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(torch.hasCUDA() ? "sees no GPU" : "./mvnw -Pgpu"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void aCpuTensorStaysItselfOnTheCpu() {
        Tensor t = Tensors.floats(new float[] {1, 2, 3}, 3);
        assertSame(t, Device.cpu().place(t));
        assertEquals("cpu", Device.cpu().torchName());
        assertEquals(t.data_ptr().address(), Tensors.toDeviceOf(t, Tensors.floats(new float[] {0}, 1)).data_ptr().address(),
                "already there: no copy");
        Tensor meta = Tensors.floats(new float[] {0}, 1).to(new org.bytedeco.pytorch.Device("meta"), torch.ScalarType.Float);
        assertTrue(Tensors.toDeviceOf(t, meta).is_meta(), "host-built tensors follow the tensor they meet");
    }

    @Test
    void libTorchsModuleToMovesTheTensorsOurModulesKeepHandlesOn() {
        // Device.place relies on this: Module.to moves parameters and buffers with set_data, so a
        // Java handle (BatchNorm's running mean) sees the move. Checked with a dtype change, which
        // takes the same path as a device change and needs no GPU.
        TorchRuntime.ensureLoaded();
        PrmNetwork net = new PrmNetwork(ResNet.Depth.RESNET18, 8, 3);
        TensorVector before = net.buffers(true);
        Tensor handle = before.get(0);
        net.to(torch.ScalarType.Double, false);
        assertEquals(torch.ScalarType.Double.value, handle.scalar_type().value);
        assertSame(net, Device.cpu().place(net));
        assertAllOn(net.parameters(true), "cpu");
    }

    @Test
    void kernelsFollowTheirInputsAndNameADeviceNoLibraryServes() {
        TorchRuntime.ensureLoaded();
        Tensor meta = torch.empty(new long[] {1, 1, 4, 4},
                new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Float)
                        .device(new org.bytedeco.pytorch.DeviceOptional(new org.bytedeco.pytorch.Device("meta"))),
                new org.bytedeco.pytorch.MemoryFormatOptional());
        Tensor rois = Tensors.floats(new float[] {0, 0, 0, 2, 2}, 1, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RoiAlign(Device.cpu()).forward(meta, rois, new RoiAlign.Params(2, 2, 1f, 1, true)));
        assertEquals("tensor on unsupported device meta", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PeakFinder(Device.cpu()).find(meta, 3));
        assertEquals("tensor on unsupported device meta", e.getMessage());
    }

    private static void assertAllOn(TensorVector tensors, String device) {
        assertTrue(tensors.size() > 0);
        for (long i = 0; i < tensors.size(); i++) {
            assertEquals(device, tensors.get(i).device().str().getString(), "tensor " + i);
        }
    }
}
