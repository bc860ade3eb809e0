package io.wiseseg.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * {@link NvtxRanges}: set only by a CUDA device, and its calls through the C ABI. The CPU library's
 * ranges are no-ops answering WS_OK, so they check the calls here; test_cuda_ranges (ctest) checks
 * that the CUDA library's reach NVTX.
 */
class NvtxRangesTest {
    @Test
    void spansBecomeNvtxRangesOnlyOnceACudaDeviceExists() {
        Device.cpu();
        String whyNot = Device.cudaUnavailableReason(); // makes a CUDA device when one answers
        assertEquals(whyNot == null, NvtxRanges.installed(),
                whyNot == null ? "a CUDA device was made" : "no CUDA device: " + whyNot);
    }

    @Test
    void namesBecomeCStringsOnceUpToTheLimitThenPerPush() {
        NvtxRanges ranges = new NvtxRanges(Device.cpu().lib);
        ranges.push("segment");
        ranges.push("segment");
        ranges.pop();
        ranges.pop();
        assertEquals(1, ranges.keptNames());
        for (int i = 0; i < NvtxRanges.MAX_KEPT_NAMES + 5; i++) {
            ranges.push("image " + i);
            ranges.pop();
        }
        assertEquals(NvtxRanges.MAX_KEPT_NAMES, ranges.keptNames(), "names past the limit are not kept");
    }
}
