package io.wiseseg.kernels;

import io.wiseseg.data.Mask;
import io.wiseseg.util.Tensors;

/**
 * Test-only and used by nothing: a kernels class that uses {@code data} and {@code util.Tensors},
 * which the import rule forbids (kernels uses nothing of ours but util.TorchRuntime).
 * {@code io.wiseseg.ArchitectureTest} checks that its rules report this class; the rules
 * themselves look at main classes only.
 */
public final class BreaksImportRule {
    private BreaksImportRule() {}

    public static long area(Mask mask) {
        return mask.area();
    }

    public static String shape(org.bytedeco.pytorch.Tensor t) {
        return Tensors.shapeString(t);
    }
}
