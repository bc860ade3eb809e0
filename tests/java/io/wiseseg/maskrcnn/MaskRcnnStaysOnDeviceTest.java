package io.wiseseg.maskrcnn;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Boxes, scores and labels stay tensors on the input's device between the detector's stages (issue
 * #14): the per-step classes make no host copy and no tensor on the CPU by default (a rule on their
 * byte code), and the box stages run on LibTorch's "meta" device, where a tensor made on the CPU
 * and mixed in fails and one handed on shows on the wrong device.
 * The host copy of the final detections (MaskRcnn), the data conversions (Samples), the trainer's
 * loss value and weight loading are outside the per-step path and outside the rule.
 */
class MaskRcnnStaysOnDeviceTest {
    /** Classes whose code runs on every inference or training step between the backbone and the final copy. */
    static final List<Class<?>> PER_STEP = List.of(Rpn.class, RoiHeads.class, AnchorGenerator.class, BoxCoder.class,
            Boxes.class, Matcher.class, BalancedSampler.class, MultiScaleRoiAlign.class, GroundTruth.class,
            GeneralizedTransform.class, MaskPaste.class, IgnoredBackground.class);

    private static final Set<String> TO_HOST = Set.of("toFloats", "toLongs", "toInts", "toBytes", "sequentialSums");
    private static final Set<String> CPU_ARRAYS = Set.of("floats", "longs", "doubles", "zeros");
    private static final Set<String> TENSOR_READS = Set.of("item", "item_float", "item_double", "item_int", "item_long",
            "item_bool", "item_byte", "item_short", "cpu", "data_ptr", "const_data_ptr", "mutable_data_ptr");
    private static final Set<String> FACTORIES = Set.of("zeros", "ones", "empty", "full", "arange", "rand", "randn",
            "randint", "randperm", "eye", "linspace", "logspace", "scalar_tensor", "tensor", "from_blob");

    /** A call that copies a tensor to the host, or makes a tensor on the CPU whatever the input's device. */
    static final DescribedPredicate<JavaCall<?>> HOST_COPY_OR_CPU_TENSOR =
            new DescribedPredicate<>("copies a tensor to the host or makes one on the CPU by default") {
                @Override
                public boolean test(JavaCall<?> call) {
                    JavaClass owner = call.getTargetOwner();
                    String name = call.getTarget().getName();
                    if (owner.isEquivalentTo(Tensors.class)) {
                        return TO_HOST.contains(name) || CPU_ARRAYS.contains(name);
                    }
                    if (owner.isEquivalentTo(Tensor.class)) {
                        return TENSOR_READS.contains(name);
                    }
                    if (owner.isEquivalentTo(TensorOptions.class)) {
                        return name.equals("<init>"); // options default to the CPU: Tensors.options(like, type)
                    }
                    if (owner.isEquivalentTo(torch.class) && FACTORIES.contains(name)) {
                        return call.getTarget().getRawParameterTypes().stream().noneMatch(
                                t -> t.isEquivalentTo(TensorOptions.class) || t.isEquivalentTo(DeviceOptional.class));
                    }
                    return false;
                }
            };

    static ArchRule rule(List<Class<?>> classes) {
        return noClasses().that().belongToAnyOf(classes.toArray(new Class<?>[0]))
                .should().callCodeUnitWhere(HOST_COPY_OR_CPU_TENSOR)
                .because("boxes, scores and labels stay on the input's device until the final copy (issue #14)");
    }

    @BeforeAll
    static void load() {
        TorchRuntime.ensureLoaded();
    }

    @Test
    void perStepClassesMakeNoHostCopyAndNoCpuTensor() {
        JavaClasses main = new ClassFileImporter().importClasses(PER_STEP.toArray(new Class<?>[0]));
        rule(PER_STEP).check(main);
    }

    @Test
    void theRuleReportsEachKindOfBreach() {
        JavaClasses classes = new ClassFileImporter().importClasses(CopiesToHost.class);
        List<String> details = rule(List.of(CopiesToHost.class)).evaluate(classes).getFailureReport().getDetails();
        details.forEach(d -> System.out.println("expected breach: " + d));
        Set<String> methods = new TreeSet<>();
        for (String d : details) {
            methods.add(d.replaceAll("^Method <io\\.wiseseg\\.maskrcnn\\.CopiesToHost\\.(\\w+)\\(.*$", "$1"));
        }
        assertEquals(Set.of("toArray", "item", "onTheCpu", "cpuZeros", "cpuArray", "cpuOptions"), methods,
                String.join("\n", details));
    }

    // ---- the stages on the meta device ------------------------------------------------------------

    private static Tensor onMeta(ScalarType type, long... shape) {
        TensorOptions o = new TensorOptions(type).device(new DeviceOptional(new org.bytedeco.pytorch.Device("meta")));
        return torch.empty(shape, o, new MemoryFormatOptional());
    }

    private static void assertMeta(Tensor t, String what, long... shape) {
        assertTrue(t.is_meta(), what + " is on " + t.device().str().getString() + ", not on the input's device (meta)");
        assertEquals(java.util.Arrays.toString(shape), Tensors.shapeString(t), what + " shape");
    }

    /**
     * What builds or transforms boxes without data-dependent shapes. LibTorch's C++ meta kernels
     * stop short of index_select, where and the losses (Python adds those), so the matcher, the
     * sampler, the selections and the losses are held by the rule above only.
     */
    @Test
    void boxOperationsStayOnTheInputsDevice() {
        Tensor a = onMeta(ScalarType.Float, 6, 4), b = onMeta(ScalarType.Float, 9, 4);
        assertMeta(Boxes.clip(a, 30, 40), "clipped boxes", 6, 4);
        assertMeta(Boxes.largeEnough(a, 1e-3f), "size test", 6);
        assertMeta(Boxes.iou(a, b), "IoU", 6, 9);
        BoxCoder coder = new BoxCoder(10f, 10f, 5f, 5f);
        assertMeta(coder.decode(a, onMeta(ScalarType.Float, 6, 4)), "decoded boxes", 6, 4);
        assertMeta(coder.encode(a, onMeta(ScalarType.Float, 6, 4)), "regression targets", 6, 4);
        assertMeta(new AnchorGenerator().level(1, 4, 5, 128, 160, a), "anchors", 4 * 5 * 3, 4);
        assertMeta(RoiHeads.rois(List.of(a, b)), "RoIs", 15, 5);
        Target t = new Target(new float[] {1, 2, 10, 12}, new long[] {1}, torch.zeros(new long[] {1, 16, 16},
                new TensorOptions(ScalarType.Byte)));
        GroundTruth gt = GroundTruth.of(t, a);
        assertMeta(gt.boxes(), "ground-truth boxes", 1, 4);
        assertMeta(gt.labels(), "ground-truth labels", 1);
        assertMeta(gt.masks(), "ground-truth masks", 1, 16, 16);
    }

    /** The RPN's top anchors per level and their levels, batched over the images. */
    @Test
    void rpnTopAnchorsStayOnTheInputsDevice() {
        long[] perLevel = {48, 12, 3};
        Tensor top = Rpn.topPerLevel(onMeta(ScalarType.Float, 2, 63), perLevel, 10);
        assertMeta(top, "top anchors", 2, 10 + 10 + 3);
        assertMeta(Rpn.levelsOf(top, perLevel, 10), "their levels", 23);
    }
}
