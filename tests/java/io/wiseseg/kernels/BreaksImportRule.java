package io.wiseseg.kernels;

import io.wiseseg.data.Mask;

/**
 * Test-only and used by nothing: a kernels class that uses {@code data}, which the import rule
 * forbids (kernels uses nothing of ours). {@code io.wiseseg.ArchitectureTest} checks that its rule
 * reports this class; the rule itself looks at main classes only.
 */
public final class BreaksImportRule {
    private BreaksImportRule() {}

    public static long area(Mask mask) {
        return mask.area();
    }
}
