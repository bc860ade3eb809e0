package io.wiseseg.maskrcnn;

import io.wiseseg.prm.Peak;

/**
 * Test-only and used by nothing: a maskrcnn class that uses {@code prm}, which the import rule
 * forbids (Mask R-CNN shares only the backbone with PRM). {@code io.wiseseg.ArchitectureTest}
 * checks that its rule reports this class; the rule itself looks at main classes only.
 */
public final class BreaksImportRule {
    private BreaksImportRule() {}

    public static int classOf(Peak peak) {
        return peak.classId();
    }
}
