package io.wiseseg.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.kernels.Device;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The CPU code-path caps are honoured: when .ci/run repeats the parity tests under
 * ATEN_CPU_CAPABILITY / WISESEG_MAX_CPU_ISA, this proves the second pass really ran another path
 * (a cap the library ignored would make that pass a repeat of the first).
 */
class CpuPathTest {
    @Test
    void atenRunsThePathItIsCappedTo() {
        String capability = CpuInfo.atenCapability();
        System.out.println("cpu: " + CpuInfo.describe() + "; wiseseg kernels " + Device.cpu().cpuIsa());
        assertFalse(capability.isBlank());
        String cap = System.getenv("ATEN_CPU_CAPABILITY");
        if (cap != null && !cap.isBlank()) {
            assertEquals(cap.toUpperCase(Locale.ROOT), capability.toUpperCase(Locale.ROOT), "ATEN_CPU_CAPABILITY=" + cap);
        }
    }

    @Test
    void wisesegKernelsRunThePathTheyAreCappedTo() {
        String isa = Device.cpu().cpuIsa();
        assertTrue(isa.equals("avx2") || isa.equals("default"), isa);
        assertTrue(Device.cpu().description().contains(isa + " path"), Device.cpu().description());
        String cap = System.getenv("WISESEG_MAX_CPU_ISA");
        if (cap != null && cap.equalsIgnoreCase("default")) {
            assertEquals("default", isa);
        }
    }
}
